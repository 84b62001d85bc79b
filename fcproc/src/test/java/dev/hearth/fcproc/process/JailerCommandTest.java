package dev.hearth.fcproc.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.CgroupLimits;
import dev.hearth.fcproc.testing.FakeJailer;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The jailer's command line, against the rules of Firecracker's docs/jailer.md. */
class JailerCommandTest {
  static final Path JAILER = Path.of("/usr/local/bin/jailer");
  static final Path FIRECRACKER = Path.of("/usr/local/bin/firecracker");
  static final Path BASE = Path.of("/var/lib/hearth/jailer");
  static final CgroupLimits LIMITS = Jailer.limits(2, 512);

  static JailerCommand command(OptionalInt version) {
    return new JailerCommand(
        JAILER,
        FIRECRACKER,
        "vm-0123",
        64000,
        64001,
        BASE,
        version,
        LIMITS,
        JailerChroot.API_SOCKET);
  }

  @Test
  void cgroupV1CommandLine() {
    assertThat(command(OptionalInt.of(1)).argv())
        .containsExactly(
            "/usr/local/bin/jailer",
            "--id",
            "vm-0123",
            "--exec-file",
            "/usr/local/bin/firecracker",
            "--uid",
            "64000",
            "--gid",
            "64001",
            "--chroot-base-dir",
            "/var/lib/hearth/jailer",
            "--cgroup-version",
            "1",
            "--parent-cgroup",
            "hearth-jailer",
            "--cgroup",
            "memory.limit_in_bytes=" + (640L << 20),
            "--cgroup",
            "pids.max=128",
            "--cgroup",
            "cpu.cfs_period_us=100000",
            "--cgroup",
            "cpu.cfs_quota_us=200000",
            "--",
            "--api-sock",
            "/run/firecracker.socket");
  }

  @Test
  void cgroupV2CommandLine() {
    List<String> argv = command(OptionalInt.of(2)).argv();
    assertThat(argv)
        .containsSubsequence("--cgroup-version", "2")
        .containsSubsequence("--cgroup", "memory.max=" + (640L << 20))
        .containsSubsequence("--cgroup", "pids.max=128")
        .containsSubsequence("--cgroup", "cpu.max=200000 100000")
        .doesNotContain("--daemonize", "--new-pid-ns", "--netns");
  }

  @Test
  void withoutCgroupsNoCgroupSettings() {
    assertThat(command(OptionalInt.empty()).argv())
        .doesNotContain("--cgroup-version", "--cgroup", "--parent-cgroup")
        .endsWith("--", "--api-sock", "/run/firecracker.socket");
  }

  @Test
  void theStandInJailerAcceptsEachCommandLine() {
    for (OptionalInt version : List.of(OptionalInt.of(1), OptionalInt.of(2), OptionalInt.empty())) {
      List<String> argv = command(version).argv();
      FakeJailer.Invocation run = FakeJailer.parse(argv.subList(1, argv.size()));
      assertThat(run.id()).isEqualTo("vm-0123");
      assertThat(run.uid()).isEqualTo(64000);
      assertThat(run.chrootDir())
          .isEqualTo(Path.of("/var/lib/hearth/jailer/firecracker/vm-0123/root"));
      assertThat(run.firecrackerArgs()).containsExactly("--api-sock", "/run/firecracker.socket");
      assertThat(run.daemonize()).isFalse();
      assertThat(run.newPidNs()).isFalse();
    }
  }

  @Test
  void refusesWhatTheJailerRefuses() {
    assertThatThrownBy(
            () ->
                new JailerCommand(
                    JAILER,
                    FIRECRACKER,
                    "vm_0123",
                    1,
                    1,
                    BASE,
                    OptionalInt.empty(),
                    LIMITS,
                    JailerChroot.API_SOCKET))
        .hasMessageContaining("--id 'vm_0123'");
    assertThatThrownBy(
            () ->
                new JailerCommand(
                    JAILER,
                    FIRECRACKER,
                    "a".repeat(65),
                    1,
                    1,
                    BASE,
                    OptionalInt.empty(),
                    LIMITS,
                    JailerChroot.API_SOCKET))
        .hasMessageContaining("--id");
    assertThatThrownBy(
            () ->
                new JailerCommand(
                    JAILER,
                    Path.of("/usr/bin/hearth-vmm"),
                    "vm",
                    1,
                    1,
                    BASE,
                    OptionalInt.empty(),
                    LIMITS,
                    JailerChroot.API_SOCKET))
        .hasMessageContaining("'firecracker'");
    assertThatThrownBy(
            () ->
                new JailerCommand(
                    JAILER,
                    FIRECRACKER,
                    "vm",
                    1,
                    1,
                    Path.of("jails"),
                    OptionalInt.empty(),
                    LIMITS,
                    JailerChroot.API_SOCKET))
        .hasMessageContaining("--chroot-base-dir must be absolute");
    assertThatThrownBy(
            () ->
                new JailerCommand(
                    JAILER,
                    FIRECRACKER,
                    "vm",
                    1,
                    1,
                    BASE,
                    OptionalInt.of(3),
                    LIMITS,
                    JailerChroot.API_SOCKET))
        .hasMessageContaining("1 or 2, got 3");
    assertThatThrownBy(
            () ->
                new JailerCommand(
                    JAILER,
                    FIRECRACKER,
                    "vm",
                    1,
                    1,
                    BASE,
                    OptionalInt.empty(),
                    LIMITS,
                    Path.of("run/firecracker.socket")))
        .hasMessageContaining("must be absolute");
  }

  @Test
  void standInRefusesCommandLinesAgainstTheDocumentation() {
    assertThatThrownBy(() -> FakeJailer.parse(List.of("--id", "vm", "--uid", "1", "--gid", "1")))
        .hasMessageContaining("--exec-file");
    assertThatThrownBy(
            () ->
                FakeJailer.parse(
                    List.of("--id", "vm", "--exec-file", "/bin/fc", "--uid", "1", "--gid", "1")))
        .hasMessageContaining("must contain \"firecracker\"");
    assertThatThrownBy(
            () ->
                FakeJailer.parse(
                    List.of(
                        "--id",
                        "vm",
                        "--exec-file",
                        "/bin/firecracker",
                        "--uid",
                        "1",
                        "--gid",
                        "1",
                        "--cgroup-version",
                        "2",
                        "--cgroup",
                        "memory.limit_in_bytes=1048576")))
        .hasMessageContaining("no cgroup v2 file memory.limit_in_bytes");
    assertThatThrownBy(
            () ->
                FakeJailer.parse(
                    List.of(
                        "--id",
                        "vm",
                        "--exec-file",
                        "/bin/firecracker",
                        "--uid",
                        "1",
                        "--gid",
                        "1",
                        "--",
                        "--id",
                        "vm")))
        .hasMessageContaining("passes --id");
  }

  @Test
  void limitsAreTheGuestsMemoryPlusTheOverheadAndItsVcpus() {
    assertThat(Jailer.limits(4, 1024))
        .isEqualTo(
            new CgroupLimits(
                OptionalLong.of((1024L + Jailer.VMM_MEMORY_OVERHEAD_MIB) << 20),
                OptionalLong.of(Jailer.VMM_MAX_TASKS),
                OptionalDouble.of(4)));
  }
}
