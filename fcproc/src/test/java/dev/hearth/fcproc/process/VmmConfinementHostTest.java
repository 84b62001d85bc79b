package dev.hearth.fcproc.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Cgroup;
import dev.hearth.core.CgroupLimits;
import dev.hearth.core.Cgroups;
import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A stand-in VMM spawned through {@link VmmConfinement} as a real unprivileged user: it reports
 * what it is and sees on its console, then serves an API socket (python3) so that the launcher
 * takes it as started.
 */
@RequiresRoot
@RequiresBinary({"setsid", "unshare", "setpriv", "mount", "python3"})
class VmmConfinementHostTest {
  static final int UID = 65534;
  static final int GID = 65534;

  Path dir;
  Path state;
  Path run;
  Path vmDir;
  Path kernel;
  Cgroup cgroup;
  FirecrackerProcess vm;

  @BeforeEach
  void layout() throws Exception {
    // Searchable by the VMM's user down to the state folder, as a real state_dir's parents are.
    dir = Files.createTempDirectory(Path.of("/tmp"), "hearth-jail-test-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    state = Files.createDirectories(dir.resolve("state"));
    Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
    Files.writeString(state.resolve("hearth.db"), "the database\n");
    Files.createDirectories(state.resolve("ssh"));
    Files.writeString(state.resolve("ssh/id_ed25519"), "the daemon's key\n");
    Path other = Files.createDirectories(state.resolve("vms/other"));
    Files.writeString(other.resolve("rootfs.ext4"), "another VM's disk\n");
    vmDir = Files.createDirectories(state.resolve("vms/0123"));
    Path image = Files.createDirectories(state.resolve("images/base"));
    Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rwx------"));
    kernel = Files.writeString(image.resolve("vmlinux"), "the kernel\n");
    Files.setPosixFilePermissions(kernel, PosixFilePermissions.fromString("rw-r--r--"));
    run = Files.createDirectories(dir.resolve("run"));
    Files.writeString(run.resolve("hearth.sock"), "stands for the daemon's socket\n");
    Path sockets = Files.createDirectories(run.resolve("vms"));
    Files.setAttribute(sockets, "unix:gid", GID);
    Files.setAttribute(sockets, "unix:mode", 01730);
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (vm != null) {
      vm.killQuietly();
    }
    if (cgroup != null) {
      cgroup.close();
    }
    new ProcessBuilder("rm", "-rf", "--", dir.toString()).start().waitFor();
  }

  @Test
  void theVmmRunsUnprivilegedInItsCgroupSeeingOnlyItsOwnFiles() throws Exception {
    Cgroups cgroups = Cgroups.system(Posix.system(), Clock.system());
    String name = "jail-test-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
    cgroup =
        cgroups.create(
            name,
            new CgroupLimits(
                OptionalLong.of(256L << 20), OptionalLong.of(64), OptionalDouble.of(1)));
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path standIn = bin.resolve("firecracker");
    Files.writeString(
        standIn,
        String.join(
            "\n",
            "#!/bin/sh",
            "echo \"ids $(id -u) $(id -g) [$(id -G)]\"",
            "grep -E '^(CapEff|CapBnd|NoNewPrivs):' /proc/self/status",
            "grep -E ':(memory|pids):' /proc/self/cgroup",
            "for f in "
                + state
                + "/hearth.db "
                + state
                + "/ssh/id_ed25519 "
                + state
                + "/vms/other/rootfs.ext4 "
                + run
                + "/hearth.sock; do",
            "  if [ -e \"$f\" ]; then echo \"visible $f\"; else echo \"hidden $f\"; fi",
            "done",
            "echo \"kernel $(cat " + kernel + ")\"",
            "if echo x >>" + kernel + "; then echo kernel-writable; else echo kernel-read-only; fi",
            "exec /usr/bin/python3 -c 'import socket,sys\n"
                + "s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)\n"
                + "while True: s.accept()[0].close()' \"$2\"",
            ""));
    Files.setPosixFilePermissions(standIn, PosixFilePermissions.fromString("rwxr-xr-x"));
    VmmConfinement confinement =
        new VmmConfinement(
            UID,
            GID,
            List.of(),
            cgroup.procsFiles(),
            List.of(state, run),
            List.of(vmDir, run.resolve("vms")),
            List.of(kernel));
    FirecrackerLauncher launcher =
        new FirecrackerLauncher(standIn, ProcessTable.procfs(), Posix.system(), Clock.system());
    Path console = vmDir.resolve("console.log");
    Path socket = run.resolve("vms/0123.sock");

    vm =
        launcher.spawn(
            new LaunchSpec(
                "vm-0123",
                socket,
                console,
                1 << 20,
                Duration.ofSeconds(30),
                vmDir.resolve("firecracker.log"),
                vmDir.resolve("metrics.json"),
                1 << 20),
            confinement);

    Await.until(
        "the stand-in's report reaches the console log",
        () -> ConsoleLog.tail(console, 1 << 20).contains("kernel-"));
    String report = ConsoleLog.tail(console, 1 << 20);
    // The VMM opens its log's and metrics' pipes by path (the API's logger and metrics calls).
    assertThat(
            Files.getAttribute(FirecrackerLauncher.pipe(vmDir.resolve("metrics.json")), "unix:uid"))
        .isEqualTo(UID);
    assertThat(report).contains("ids 65534 65534 [65534]");
    assertThat(report).contains("CapEff:\t0000000000000000", "CapBnd:\t0000000000000000");
    assertThat(report).contains("NoNewPrivs:\t1");
    assertThat(report).contains(":memory:/hearth/" + name, ":pids:/hearth/" + name);
    assertThat(report)
        .contains(
            "hidden " + state + "/hearth.db",
            "hidden " + state + "/ssh/id_ed25519",
            "hidden " + state + "/vms/other/rootfs.ext4",
            "hidden " + run + "/hearth.sock");
    assertThat(report).contains("kernel the kernel", "kernel-read-only");
    assertThat(Files.readString(kernel)).isEqualTo("the kernel\n");
    // The socket the VMM made in its namespace is the host's, and the VMM is the recorded pid.
    assertThat(vm.client().isAccepting()).isTrue();
    assertThat(Files.getAttribute(socket, "unix:uid")).isEqualTo(UID);
    assertThat(Files.readAllLines(cgroup.procsFiles().get(0)))
        .contains(Integer.toString(vm.identity().pid()));
    assertThat(Files.readString(Path.of("/proc/" + vm.identity().pid() + "/status")))
        .contains("Uid:\t" + UID);

    vm.kill();
    assertThat(vm.isAlive()).isFalse();
  }

  @Test
  void theWrapperIsOneExecChainFromRootToTheVmm() {
    VmmConfinement confinement =
        new VmmConfinement(
            995,
            995,
            List.of(108),
            List.of(Path.of("/sys/fs/cgroup/memory/hearth/vm-1/cgroup.procs")),
            List.of(Path.of("/var/lib/hearth"), Path.of("/run/hearth")),
            List.of(Path.of("/var/lib/hearth/vms/1"), Path.of("/run/hearth/vms")),
            List.of(Path.of("/var/lib/hearth/images/base/vmlinux")));

    List<String> argv = confinement.wrap(List.of("/opt/hearth/bin/vmm", "--id", "x"));

    assertThat(argv.subList(0, 7))
        .containsExactly(
            "/bin/sh",
            "-c",
            VmmConfinement.JOIN_CGROUP_SCRIPT,
            "hearth-vmm",
            "/sys/fs/cgroup/memory/hearth/vm-1/cgroup.procs",
            "--",
            "unshare");
    assertThat(argv.subList(argv.size() - 10, argv.size()))
        .containsExactly(
            "--reuid=995",
            "--regid=995",
            "--groups=108",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
            "/opt/hearth/bin/vmm",
            "--id",
            "x");
    String script = confinement.namespaceScript();
    assertThat(script)
        .contains(
            "exec 5<'/var/lib/hearth/vms/1' 6<'/run/hearth/vms'"
                + " 7<'/var/lib/hearth/images/base/vmlinux'")
        .contains("mount -t tmpfs")
        .contains("mount -c -o remount,bind,ro,nosuid,nodev '/var/lib/hearth/images/base/vmlinux'")
        .endsWith("exec \"$@\"\n");
  }
}
