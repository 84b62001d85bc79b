package dev.hearth.daemon.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Cgroups;
import dev.hearth.core.Clock;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.LinuxHostProbe;
import dev.hearth.core.StateChecks;
import dev.hearth.core.testing.FakePosix;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorCheck.Status;
import dev.hearth.dmsnap.DeviceMapperProbe;
import dev.hearth.dmsnap.DiskChecks;
import dev.hearth.dmsnap.ReflinkProbe;
import dev.hearth.fcproc.KvmStatus;
import dev.hearth.fcproc.QemuAccel;
import dev.hearth.fcproc.VmmChecks;
import dev.hearth.fcproc.VmmChoice;
import dev.hearth.fcproc.VmmKind;
import dev.hearth.fcproc.VmmSelector;
import dev.hearth.fcproc.dns.DnsChecks;
import dev.hearth.fcproc.dns.ResolvedLink;
import dev.hearth.fcproc.net.HostSockets;
import dev.hearth.fcproc.net.NetworkChecks;
import dev.hearth.imagemgr.ImageToolChecks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Doctor and daemon look binaries up the same way: on one PATH, through fcproc's {@link
 * VmmSelector} (the daemon's VMM choice) and a {@link LinuxHostProbe} on the same PATH (the daemon
 * runs host tools by name). A binary in an sbin folder that is not on PATH must not pass the doctor
 * while the daemon cannot find it; real files, not a fake probe.
 */
class DoctorAgreesWithDaemonTest {
  @TempDir Path dir;
  private Path bin;
  private Path sbin;
  private String path;
  private final FakeRunner runner = new FakeRunner();
  private final Config config = Config.defaults().with(ConfigKey.VMM, "firecracker");

  @BeforeEach
  void folders() throws Exception {
    bin = Files.createDirectory(dir.resolve("bin"));
    sbin = Files.createDirectory(dir.resolve("sbin"));
    path = bin.toString();
  }

  private Path executable(Path folder, String name) throws Exception {
    Path file = Files.createFile(folder.resolve(name));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  /** The daemon's selector on this PATH, with a usable KVM. */
  private VmmSelector selector() {
    return new VmmSelector(
        path,
        Optional.empty(),
        QemuAccel.AUTO,
        p -> Files.isRegularFile(p) && Files.isExecutable(p),
        () -> new KvmStatus(KvmStatus.Kind.USABLE, "/dev/kvm opens for reading and writing"));
  }

  private List<DoctorCheck> doctor() throws Exception {
    Path mapper = Files.createDirectories(dir.resolve("mapper"));
    LinuxHostProbe probe = new LinuxHostProbe(path);
    FakePosix posix = new FakePosix(0, 0);
    return new Doctor(
            new Doctor.Checks(
                new VmmChecks(config, runner, posix, probe, selector()),
                new NetworkChecks(config, runner, probe, HostSockets.procfs()),
                new DiskChecks(
                    config,
                    probe,
                    new DeviceMapperProbe(
                        runner, mapper.resolve("control"), mapper.resolve("modules")),
                    ReflinkProbe.cp(runner, probe)),
                new ImageToolChecks(probe),
                new StateChecks(config, posix, probe),
                Cgroups.system(posix, Clock.system()),
                new DnsChecks(config, probe, new ResolvedLink(runner, probe), upstream -> true)))
        .check()
        .checks();
  }

  private static DoctorCheck check(List<DoctorCheck> checks, String name) {
    return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void aFirecrackerOffPathFailsInBoth() throws Exception {
    executable(sbin, "firecracker");
    executable(sbin, "debugfs");
    runner.on(
        List.of(sbin.resolve("firecracker").toString(), "--version"),
        0,
        "Firecracker v1.16.1\n",
        "");

    VmmChoice daemonChoice = selector().choose(config);
    List<DoctorCheck> checks = doctor();

    assertThat(daemonChoice.kind()).isEqualTo(VmmKind.NONE);
    assertThat(check(checks, "firecracker").status()).isEqualTo(Status.FAIL);
    assertThat(check(checks, "vmm").status()).isEqualTo(Status.FAIL);
    assertThat(check(checks, "debugfs").status()).isEqualTo(Status.FAIL);
    assertThat(check(checks, "debugfs").detail()).startsWith("debugfs not found on PATH");
  }

  @Test
  void aFirecrackerOnPathPassesInBothWithTheSamePath() throws Exception {
    Path firecracker = executable(bin, "firecracker");
    Path debugfs = executable(bin, "debugfs");
    runner.on(List.of(firecracker.toString(), "--version"), 0, "Firecracker v1.16.1\n", "");

    VmmChoice daemonChoice = selector().choose(config);
    List<DoctorCheck> checks = doctor();

    assertThat(daemonChoice.kind()).isEqualTo(VmmKind.FIRECRACKER);
    assertThat(daemonChoice.binary()).contains(firecracker);
    assertThat(check(checks, "firecracker").status()).isEqualTo(Status.PASS);
    assertThat(check(checks, "firecracker").detail())
        .isEqualTo("Firecracker v1.16.1 (" + firecracker + ")");
    assertThat(check(checks, "debugfs").detail()).isEqualTo(debugfs.toString());
  }

  @Test
  void theVersionIsReadAsFcprocReadsIt() throws Exception {
    Path firecracker = executable(bin, "firecracker");
    // Not a version line: the old unanchored pattern found "Firecracker v1.2.3" inside it.
    runner.on(
        List.of(firecracker.toString(), "--version"), 0, "not Firecracker v1.2.3 at all\n", "");

    assertThat(check(doctor(), "firecracker").status()).isEqualTo(Status.WARN);
  }

  @Test
  void aVersionHearthDoesNotSupportIsAWarning() throws Exception {
    Path firecracker = executable(bin, "firecracker");
    runner.on(List.of(firecracker.toString(), "--version"), 0, "Firecracker v2.0.0\n", "");

    DoctorCheck fc = check(doctor(), "firecracker");

    assertThat(fc.status()).isEqualTo(Status.WARN);
    assertThat(fc.detail()).contains("v2.0.0").contains("tested with v1.16.1");
  }
}
