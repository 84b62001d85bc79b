package dev.hearth.daemon.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Command;
import dev.hearth.core.CommandException;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.FakePosix;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorCheck.Status;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.internal.doctor.HostProbe.BoundSocket;
import dev.hearth.daemon.internal.doctor.HostProbe.Reflink;
import dev.hearth.dmsnap.DeviceMapperProbe;
import dev.hearth.fcproc.KvmStatus;
import dev.hearth.fcproc.QemuAccel;
import dev.hearth.fcproc.VmmSelector;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DoctorTest {
  static final List<String> CHECK_NAMES =
      List.of(
          "kvm",
          "vmm",
          "firecracker",
          "qemu-system-x86_64",
          "setpriv",
          "jailer",
          "device-mapper",
          "disk-provisioner",
          "losetup",
          "ip",
          "firewall",
          "tun",
          "ip-forward",
          "bridge-cidr",
          "dns-port",
          "setsid",
          "debugfs",
          "e2fsck",
          "resize2fs",
          "debootstrap",
          "debootstrap-keyring",
          "mkfs.ext4",
          "xz",
          "tar",
          "state-dir",
          "reflink",
          "runtime-dir",
          "socket-group",
          "sqlite",
          "ssh-key",
          "privileges");

  private static final long GIB = 1L << 30;
  private static final String FIRECRACKER = "/usr/local/bin/firecracker";
  private static final String LAUNCHER = "/opt/hearth/bin/hearth-qemu-firecracker";
  private static final String SEARCH_PATH = "/usr/local/bin:/usr/bin";
  private static final KvmStatus KVM_WORKS =
      new KvmStatus(KvmStatus.Kind.USABLE, "/dev/kvm opens for reading and writing");
  private static final KvmStatus NO_KVM =
      new KvmStatus(KvmStatus.Kind.MISSING, "there is no /dev/kvm");
  private static final KvmStatus PVM_KVM =
      new KvmStatus(
          KvmStatus.Kind.PVM,
          "/dev/kvm is PVM's (module kvm_pvm is loaded), which boots only guest kernels built for"
              + " PVM");
  private static final KvmStatus KVM_DENIED =
      new KvmStatus(
          KvmStatus.Kind.NO_ACCESS,
          "/dev/kvm cannot be opened for reading and writing (permission denied)");
  private static final String IP = "/usr/sbin/ip";
  private static final String SSH_KEY = "/var/lib/hearth/ssh/id_ed25519";
  private static final String ROUTES =
      "[{\"dst\":\"default\",\"gateway\":\"192.0.2.1\",\"dev\":\"eth0\",\"flags\":[]},"
          + "{\"dst\":\"192.0.2.0/24\",\"dev\":\"eth0\",\"protocol\":\"kernel\",\"scope\":\"link\","
          + "\"prefsrc\":\"192.0.2.2\",\"flags\":[]}]";

  private final FakeRunner runner = new FakeRunner();
  private final FakeHostProbe probe = new FakeHostProbe();
  private FakePosix posix = new FakePosix(0, 0).group("hearth", 990);
  private Config config = Config.defaults();
  private KvmStatus kvm = KVM_WORKS;
  private Optional<Path> hearthHome = Optional.of(Path.of("/opt/hearth"));

  /** Stands in for /dev/mapper/control, for the device-mapper probe. */
  @TempDir Path devMapper;

  private Path mapperControl;

  /** A host on which every check passes; each test breaks one thing. */
  @BeforeEach
  void healthyHost() throws IOException {
    mapperControl = Files.createFile(devMapper.resolve("control"));
    probe
        .file("/dev/kvm", 0660, 0)
        .readWrite("/dev/kvm", true)
        .onPath("firecracker", FIRECRACKER)
        .onPath("jailer", "/usr/local/bin/jailer")
        .executable(LAUNCHER)
        .onPath("qemu-system-x86_64", "/usr/bin/qemu-system-x86_64")
        .onPath("setpriv", "/usr/bin/setpriv")
        .onPath("setsid", "/usr/bin/setsid")
        .onPath("debugfs", "/usr/sbin/debugfs")
        .onPath("e2fsck", "/usr/sbin/e2fsck")
        .onPath("resize2fs", "/usr/sbin/resize2fs")
        .onPath("debootstrap", "/usr/sbin/debootstrap")
        .file("/usr/share/keyrings/debian-archive-keyring.gpg", 0644, 0)
        .onPath("mkfs.ext4", "/usr/sbin/mkfs.ext4")
        .onPath("xz", "/usr/bin/xz")
        .onPath("tar", "/usr/bin/tar")
        .onPath("losetup", "/usr/sbin/losetup")
        .onPath("ip", IP)
        .onPath("nft", "/usr/sbin/nft")
        .file("/dev/net/tun", 0666, 0)
        .text("/proc/sys/net/ipv4/ip_forward", "1\n")
        .dir("/var", 0755, 0)
        .dir("/var/lib", 0755, 0)
        .dir("/var/lib/hearth", 0755, 0)
        .space("/var/lib/hearth", 50 * GIB)
        .dir("/run", 0755, 0)
        .readWrite("/run", true)
        .dir("/run/hearth", 0755, 0)
        .file(SSH_KEY, 0600, 0);
    runner
        .on(
            List.of(FIRECRACKER, "--version"),
            0,
            "Firecracker v1.7.0\n\nSupported snapshot data format versions: v1.0.0\n",
            "")
        .on(
            List.of("dmsetup", "targets"),
            0,
            "snapshot-merge   v1.5.0\nsnapshot-origin  v1.9.0\nsnapshot         v1.16.0\n"
                + "linear           v1.4.0\n",
            "")
        .on(List.of(IP, "-j", "route", "show"), 0, ROUTES, "");
  }

  private DoctorReport report() throws InterruptedException {
    return doctor(runner).check();
  }

  private Doctor doctor(Runner commands) {
    return new Doctor(
        config,
        commands,
        posix,
        probe,
        new DeviceMapperProbe(commands, mapperControl, devMapper.resolve("no-modules")),
        new VmmSelector(SEARCH_PATH, hearthHome, QemuAccel.AUTO, probe::isExecutable, () -> kvm));
  }

  private DoctorCheck check(String name) throws InterruptedException {
    return check(report(), name);
  }

  private static DoctorCheck check(DoctorReport report, String name) {
    return report.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  private void configure(ConfigKey key, String value) {
    config = config.with(key, value);
  }

  @Test
  void everyCheckPassesOnAHealthyHostInTheStableOrder() throws Exception {
    DoctorReport report = report();

    assertThat(report.checks())
        .extracting(DoctorCheck::name)
        .containsExactlyElementsOf(CHECK_NAMES);
    assertThat(report.checks())
        .allSatisfy(
            c -> {
              assertThat(c.status()).as(c.name() + ": " + c.detail()).isEqualTo(Status.PASS);
              assertThat(c.fix()).as(c.name()).isEmpty();
              assertThat(c.detail()).as(c.name()).isNotBlank();
            });
    assertThat(report.failed()).isFalse();
  }

  @Test
  void aThrowingProbeFailsOnlyItsCheck() throws Exception {
    probe.broken("/dev/net/tun");

    DoctorReport report = report();

    assertThat(report.checks())
        .extracting(DoctorCheck::name)
        .containsExactlyElementsOf(CHECK_NAMES);
    DoctorCheck tun = check(report, "tun");
    assertThat(tun.status()).isEqualTo(Status.FAIL);
    assertThat(tun.detail()).isEqualTo("the check could not run: probe broke on /dev/net/tun");
    assertThat(tun.fix()).isNotEmpty();
    assertThat(report.checks())
        .filteredOn(c -> c != tun)
        .extracting(DoctorCheck::status)
        .containsOnly(Status.PASS);
  }

  @Test
  void anInterruptStopsTheDoctor() {
    Runner interrupted =
        command -> {
          throw new InterruptedException("stop");
        };
    Doctor doctor = doctor(interrupted);

    assertThatThrownBy(doctor::check).isInstanceOf(InterruptedException.class).hasMessage("stop");
  }

  @Nested
  class Kvm {
    @Test
    void aWorkingKvmPassesWithWhatTheSharedProbeSaw() throws Exception {
      DoctorCheck check = check("kvm");

      assertThat(check.status()).isEqualTo(Status.PASS);
      assertThat(check.detail()).isEqualTo("/dev/kvm opens for reading and writing");
    }

    @Test
    void missingWarnsWhenQemuTakesOver() throws Exception {
      kvm = NO_KVM;

      DoctorCheck check = check("kvm");

      assertThat(check.status()).isEqualTo(Status.WARN);
      assertThat(check.detail())
          .isEqualTo(
              "there is no /dev/kvm: VMs run under QEMU with software emulation, much slower");
      assertThat(check.fix())
          .startsWith("enable virtualization (nested KVM on a cloud VM) or load kvm_intel/kvm_amd");
    }

    @Test
    void aPvmKvmIsToldFromAWorkingOne() throws Exception {
      kvm = PVM_KVM;

      DoctorCheck check = check("kvm");

      assertThat(check.status()).isEqualTo(Status.WARN);
      assertThat(check.detail()).startsWith("/dev/kvm is PVM's (module kvm_pvm is loaded)");
      assertThat(check.fix()).contains("PVM's KVM cannot boot hearth's guest kernel");
    }

    @Test
    void missingFailsWhenOnlyFirecrackerMayRun() throws Exception {
      kvm = NO_KVM;
      configure(ConfigKey.VMM, "firecracker");

      DoctorCheck check = check("kvm");

      assertThat(check.status()).isEqualTo(Status.FAIL);
      assertThat(check.detail()).isEqualTo("there is no /dev/kvm: Firecracker cannot run VMs");
      assertThat(check.fix()).contains("set vmm = \"auto\" in /etc/hearth/config.toml");
    }

    @Test
    void notReadableAndWritableFailsWithModeAndAGroupFix() throws Exception {
      kvm = KVM_DENIED;
      configure(ConfigKey.VMM, "firecracker");
      posix = new FakePosix(1000, 1000);
      probe.file("/dev/kvm", 0600, 0);

      DoctorCheck check = check("kvm");

      assertThat(check.status()).isEqualTo(Status.FAIL);
      assertThat(check.detail())
          .isEqualTo(
              "/dev/kvm cannot be opened for reading and writing (permission denied) as uid 1000"
                  + " (mode 0600, owner uid 0): Firecracker cannot run VMs");
      assertThat(check.fix()).contains("chmod 660 /dev/kvm").contains("group kvm");
    }

    @Test
    void missingWithNothingToFallBackOnFails() throws Exception {
      kvm = NO_KVM;
      hearthHome = Optional.empty();

      assertThat(check("kvm").status()).isEqualTo(Status.FAIL);
    }
  }

  @Nested
  class Vmm {
    @Test
    void firecrackerOnWorkingKvmPasses() throws Exception {
      DoctorCheck check = check("vmm");

      assertThat(check.status()).isEqualTo(Status.PASS);
      assertThat(check.detail())
          .isEqualTo(
              "firecracker (/usr/local/bin/firecracker): vmm = auto: Firecracker"
                  + " /usr/local/bin/firecracker on KVM (/dev/kvm opens for reading and writing)");
    }

    @Test
    void qemuWithoutKvmWarnsHowSlowAndWhy() throws Exception {
      kvm = PVM_KVM;

      DoctorCheck check = check("vmm");

      assertThat(check.status()).isEqualTo(Status.WARN);
      assertThat(check.detail())
          .isEqualTo(
              "qemu ("
                  + LAUNCHER
                  + "): "
                  + PVM_KVM.detail()
                  + ", so VMs run under QEMU with software emulation through "
                  + LAUNCHER
                  + "; software emulation: boot to SSH takes tens of seconds instead of about a"
                  + " second, so run one or two VMs at a time");
      assertThat(check.fix())
          .startsWith("for fast VMs: use a host with hardware KVM")
          .doesNotContain("install Firecracker");
    }

    @Test
    void qemuWithoutFirecrackerNamesWhereItLookedAndHowToGetIt() throws Exception {
      probe.onPath("firecracker", null);

      DoctorCheck check = check("vmm");

      assertThat(check.status()).isEqualTo(Status.WARN);
      assertThat(check.detail())
          .contains("no executable 'firecracker' on PATH (looked in /usr/local/bin, /usr/bin)")
          .contains("with KVM")
          .endsWith("; QEMU with KVM boots slower than Firecracker");
      assertThat(check.fix()).startsWith("for fast VMs: install Firecracker from https://");
    }

    @Test
    void vmmQemuWarnsAndSaysHowToLetAutoChoose() throws Exception {
      configure(ConfigKey.VMM, "qemu");

      DoctorCheck check = check("vmm");

      assertThat(check.status()).isEqualTo(Status.WARN);
      assertThat(check.detail()).startsWith("qemu (" + LAUNCHER + "): vmm = qemu, so VMs run");
      assertThat(check.fix())
          .isEqualTo("for fast VMs: set vmm = \"auto\" in /etc/hearth/config.toml");
    }

    @Test
    void nothingThatCanRunFails() throws Exception {
      kvm = NO_KVM;
      hearthHome = Optional.empty();

      DoctorCheck check = check("vmm");

      assertThat(check.status()).isEqualTo(Status.FAIL);
      assertThat(check.detail())
          .startsWith("nothing can run VMs: there is no /dev/kvm, and the bundled")
          .contains("HEARTH_HOME is not set");
      assertThat(check.fix()).startsWith("reinstall hearth (scripts/start.sh)");
    }

    @Test
    void vmmFirecrackerWithoutKvmFails() throws Exception {
      kvm = PVM_KVM;
      configure(ConfigKey.VMM, "firecracker");

      DoctorCheck check = check("vmm");

      assertThat(check.status()).isEqualTo(Status.FAIL);
      assertThat(check.detail()).startsWith("nothing can run VMs: vmm = firecracker, but");
      assertThat(check.fix()).contains("set vmm = \"auto\"");
    }

    @Test
    void aConfiguredFirecrackerWithoutKvmFails() throws Exception {
      kvm = NO_KVM;
      configure(ConfigKey.FIRECRACKER_BIN, FIRECRACKER);

      DoctorCheck check = check("vmm");

      assertThat(check.status()).isEqualTo(Status.FAIL);
      assertThat(check.detail())
          .isEqualTo(
              "firecracker (/usr/local/bin/firecracker): firecracker_bin ="
                  + " /usr/local/bin/firecracker is set and used as is, but there is no /dev/kvm"
                  + " and Firecracker needs KVM");
    }
  }

  @Nested
  class Firecracker {
    @Test
    void reportsTheVersionAndPath() throws Exception {
      assertThat(check("firecracker").detail())
          .isEqualTo("Firecracker v1.7.0 (/usr/local/bin/firecracker)");
    }

    @Test
    void usesTheConfiguredBinaryWithAShortTimeout() throws Exception {
      configure(ConfigKey.FIRECRACKER_BIN, "/opt/fc/firecracker");
      probe.executable("/opt/fc/firecracker");
      runner.on(List.of("/opt/fc/firecracker", "--version"), 0, "Firecracker v1.16.1\n", "");

      assertThat(check("firecracker").detail())
          .isEqualTo("Firecracker v1.16.1 (/opt/fc/firecracker)");
      Command version =
          runner.commands().stream()
              .filter(c -> c.argv().get(0).equals("/opt/fc/firecracker"))
              .findFirst()
              .orElseThrow();
      assertThat(version.argv()).containsExactly("/opt/fc/firecracker", "--version");
      assertThat(version.timeout()).isLessThan(Command.DEFAULT_TIMEOUT);
    }

    @Test
    void configuredButMissingFails() throws Exception {
      configure(ConfigKey.FIRECRACKER_BIN, "/opt/fc/firecracker");

      DoctorCheck fc = check("firecracker");

      assertThat(fc.status()).isEqualTo(Status.FAIL);
      assertThat(fc.detail())
          .isEqualTo("firecracker_bin /opt/fc/firecracker is missing or not executable");
      assertThat(fc.fix()).contains("/etc/hearth/config.toml");
    }

    @Test
    void missingWarnsWhenQemuTakesOver() throws Exception {
      probe.onPath("firecracker", null);

      DoctorCheck fc = check("firecracker");

      assertThat(fc.status()).isEqualTo(Status.WARN);
      assertThat(fc.detail())
          .isEqualTo(
              "no executable 'firecracker' on PATH (looked in /usr/local/bin, /usr/bin): VMs run"
                  + " under QEMU instead");
      assertThat(fc.fix()).contains("https://github.com/firecracker-microvm/firecracker/releases");
    }

    @Test
    void missingFailsWhenOnlyFirecrackerMayRun() throws Exception {
      probe.onPath("firecracker", null);
      configure(ConfigKey.VMM, "firecracker");

      assertThat(check("firecracker").status()).isEqualTo(Status.FAIL);
    }

    @Test
    void missingPassesWhenVmsRunUnderQemuByChoice() throws Exception {
      probe.onPath("firecracker", null);
      configure(ConfigKey.VMM, "qemu");

      DoctorCheck fc = check("firecracker");

      assertThat(fc.status()).isEqualTo(Status.PASS);
      assertThat(fc.detail()).startsWith("not used (vmm = qemu)");
    }

    @Test
    void aFailingVersionCommandFailsWithTheCommandError() throws Exception {
      runner.on(List.of(FIRECRACKER, "--version"), 126, "", "cannot execute binary file");

      DoctorCheck fc = check("firecracker");

      assertThat(fc.status()).isEqualTo(Status.FAIL);
      assertThat(fc.detail())
          .isEqualTo(
              "command `/usr/local/bin/firecracker --version` failed (exit code 126):"
                  + " cannot execute binary file");
    }

    @Test
    void aHangingVersionCommandFails() throws Exception {
      runner.timeoutOn(List.of(FIRECRACKER, "--version"));

      DoctorCheck fc = check("firecracker");

      assertThat(fc.status()).isEqualTo(Status.FAIL);
      assertThat(fc.detail()).contains("timed out");
    }

    @Test
    void unrecognisedVersionOutputWarns() throws Exception {
      runner.on(List.of(FIRECRACKER, "--version"), 0, "something else 2.0\n", "");

      DoctorCheck fc = check("firecracker");

      assertThat(fc.status()).isEqualTo(Status.WARN);
      assertThat(fc.detail()).contains("'something else 2.0'");
    }
  }

  @Nested
  class QemuLauncherAsFirecrackerBin {
    static final String LINE = "Firecracker v1.16.1 (hearth-qemu-firecracker, QEMU 7.2.22)";

    @BeforeEach
    void configureTheLauncher() {
      configure(ConfigKey.FIRECRACKER_BIN, LAUNCHER);
      runner.on(List.of(LAUNCHER, "--version"), 0, LINE + "\n", "");
    }

    private long versionRuns() {
      return runner.commands().stream().filter(c -> c.argv().get(0).equals(LAUNCHER)).count();
    }

    @Test
    void withoutKvmTheChecksWarnThatVmsAreEmulated() throws Exception {
      kvm = NO_KVM;

      DoctorReport report = report();

      assertThat(check(report, "kvm").status()).isEqualTo(Status.WARN);
      assertThat(check(report, "kvm").detail())
          .isEqualTo(
              "there is no /dev/kvm: VMs run under QEMU with software emulation, much slower");
      DoctorCheck fc = check(report, "firecracker");
      assertThat(fc.status()).isEqualTo(Status.WARN);
      assertThat(fc.detail())
          .isEqualTo(LAUNCHER + " is hearth-qemu-firecracker ('" + LINE + "'), not Firecracker");
      assertThat(fc.fix()).contains("install Firecracker");
      DoctorCheck vmm = check(report, "vmm");
      assertThat(vmm.status()).isEqualTo(Status.WARN);
      assertThat(vmm.detail()).contains("tens of seconds");
      assertThat(vmm.fix()).contains("remove firecracker_bin");
      assertThat(versionRuns()).isEqualTo(1);
    }

    @Test
    void withKvmTheLauncherStillWarnsThatVmsAreNotFirecrackers() throws Exception {
      DoctorReport report = report();

      assertThat(check(report, "kvm").status()).isEqualTo(Status.PASS);
      assertThat(check(report, "firecracker").status()).isEqualTo(Status.WARN);
      assertThat(check(report, "vmm").detail())
          .endsWith("QEMU with KVM boots slower than Firecracker");
    }

    @Test
    void aLauncherWithoutQemuFails() throws Exception {
      runner.on(
          List.of(LAUNCHER, "--version"),
          0,
          "Firecracker v1.16.1 (hearth-qemu-firecracker, QEMU unavailable: cannot run"
              + " qemu-system-x86_64: No such file or directory)\n",
          "");

      DoctorCheck fc = check("firecracker");

      assertThat(fc.status()).isEqualTo(Status.FAIL);
      assertThat(fc.detail()).contains("cannot run QEMU");
      assertThat(fc.fix()).startsWith("apt-get install qemu-system-x86");
    }

    @Test
    void aFirecrackerWithoutKvmStillFails() throws Exception {
      configure(ConfigKey.FIRECRACKER_BIN, FIRECRACKER);
      kvm = NO_KVM;

      assertThat(check("kvm").status()).isEqualTo(Status.FAIL);
    }
  }

  @Nested
  class QemuTools {
    @ParameterizedTest(name = "{0}")
    @CsvSource({"qemu-system-x86_64, qemu-system-x86", "setpriv, util-linux"})
    void missingFailsWhenVmsRunUnderQemu(String program, String debianPackage) throws Exception {
      probe.onPath(program, null);
      kvm = NO_KVM;

      DoctorCheck check = check(program);

      assertThat(check.status()).isEqualTo(Status.FAIL);
      assertThat(check.detail())
          .isEqualTo(
              program
                  + " not found on PATH: hearth-qemu-firecracker cannot boot"
                  + " VMs");
      assertThat(check.fix()).isEqualTo("apt-get install " + debianPackage);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"qemu-system-x86_64", "setpriv"})
    void missingWarnsWhenAutoCouldFallBackToQemu(String program) throws Exception {
      probe.onPath(program, null);

      DoctorCheck check = check(program);

      assertThat(check.status()).isEqualTo(Status.WARN);
      assertThat(check.detail())
          .endsWith("needed when VMs run under QEMU (vmm = qemu, or no usable KVM)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"qemu-system-x86_64", "setpriv"})
    void missingIsFineWhenOnlyFirecrackerRuns(String program) throws Exception {
      probe.onPath(program, null);
      configure(ConfigKey.VMM, "firecracker");

      DoctorCheck check = check(program);

      assertThat(check.status()).isEqualTo(Status.PASS);
      assertThat(check.detail()).endsWith("not needed (vmm = firecracker)");
    }

    @Test
    void presentPassesWithItsPath() throws Exception {
      assertThat(check("qemu-system-x86_64").detail()).isEqualTo("/usr/bin/qemu-system-x86_64");
    }
  }

  @Nested
  class FeatureTools {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
      "setsid, util-linux, FAIL, every VM boot",
      "debugfs, e2fsprogs, FAIL, vm create writes",
      "e2fsck, e2fsprogs, WARN, vm create --disk-size",
      "resize2fs, e2fsprogs, WARN, vm create --disk-size",
      "debootstrap, debootstrap, WARN, image build",
      "mkfs.ext4, e2fsprogs, WARN, image build",
      "xz, xz-utils, WARN, image build (Debian's kernel)",
      "tar, tar, WARN, image build caches"
    })
    void missingNamesWhatFailsAndThePackage(
        String program, String debianPackage, Status status, String neededBy) throws Exception {
      probe.onPath(program, null);

      DoctorCheck check = check(program);

      assertThat(check.status()).isEqualTo(status);
      assertThat(check.detail())
          .startsWith(program + " not found on PATH: " + neededBy);
      assertThat(check.fix()).isEqualTo("apt-get install " + debianPackage);
    }

    @Test
    void presentToolsPassWithTheirPath() throws Exception {
      assertThat(check("debootstrap").detail()).isEqualTo("/usr/sbin/debootstrap");
      assertThat(check("debugfs").status()).isEqualTo(Status.PASS);
    }

    @Test
    void theDebianKeyringIsCheckedForDebootstrap() throws Exception {
      assertThat(check("debootstrap-keyring").detail())
          .isEqualTo("/usr/share/keyrings/debian-archive-keyring.gpg");

      probe.remove("/usr/share/keyrings/debian-archive-keyring.gpg");
      DoctorCheck keyring = check("debootstrap-keyring");

      assertThat(keyring.status()).isEqualTo(Status.WARN);
      assertThat(keyring.detail()).contains("cannot check the signature");
      assertThat(keyring.fix()).isEqualTo("apt-get install debian-archive-keyring");
    }
  }

  @Nested
  class Jailer {
    @Test
    void missingOnlyWarns() throws Exception {
      probe.onPath("jailer", null);

      DoctorCheck jailer = check("jailer");

      assertThat(jailer.status()).isEqualTo(Status.WARN);
      assertThat(jailer.detail()).contains("not used yet");
      assertThat(jailer.fix()).isNotEmpty();
    }

    @Test
    void configuredPathIsChecked() throws Exception {
      configure(ConfigKey.JAILER_BIN, "/opt/fc/jailer");

      assertThat(check("jailer").status()).isEqualTo(Status.WARN);

      probe.executable("/opt/fc/jailer");
      assertThat(check("jailer").detail()).isEqualTo("/opt/fc/jailer (not used yet)");
    }
  }

  @Nested
  class DeviceMapper {
    private static final String UNAVAILABLE =
        "device-mapper snapshots unavailable: VM disks will be full copies (copy provisioner)";

    private void assertUnavailable(String reason) throws InterruptedException {
      DoctorReport report = report();
      DoctorCheck dm = check(report, "device-mapper");
      assertThat(dm.status()).isEqualTo(Status.WARN);
      assertThat(dm.detail()).isEqualTo(UNAVAILABLE + "; " + reason);
      assertThat(dm.fix()).isEqualTo("apt-get install dmsetup; modprobe dm_snapshot");
      assertThat(check(report, "disk-provisioner").detail())
          .isEqualTo(
              "copy (auto: device-mapper snapshots are unavailable): VM disks are full copies of"
                  + " the image");
    }

    @Test
    void workingSnapshotTargetPasses() throws Exception {
      DoctorCheck dm = check("device-mapper");
      assertThat(dm.status()).isEqualTo(Status.PASS);
      assertThat(dm.detail()).isEqualTo("device-mapper with the snapshot target");
    }

    @Test
    void missingDmsetupWarns() throws Exception {
      runner.on(
          List.of("dmsetup", "targets"),
          c -> {
            throw new CommandException(
                c.argv(), CommandException.NO_EXIT_CODE, "", "could not be started: not found");
          });
      assertUnavailable(
          "dmsetup cannot be run: command `dmsetup targets` could not be started: not found");
    }

    @Test
    void missingControlDeviceWarns() throws Exception {
      Files.delete(mapperControl);
      assertUnavailable(
          mapperControl + " is missing: the kernel has no device-mapper (or dm_mod is not loaded)");
    }

    @Test
    void noSnapshotTargetWarnsListingTheTargets() throws Exception {
      runner.on(List.of("dmsetup", "targets"), 0, "striped  v1.6.0\nlinear   v1.4.0\n", "");
      assertUnavailable(
          "device-mapper has no snapshot target (dmsetup targets lists: linear, striped)");
    }

    @Test
    void failingDmsetupWarnsWithTheFirstLineOfItsError() throws Exception {
      runner.on(
          List.of("dmsetup", "targets"),
          1,
          "",
          "/dev/mapper/control: open failed: No such device\n"
              + "Failure to communicate with kernel device-mapper driver.\n");
      assertUnavailable(
          "`dmsetup targets` failed (exit code 1): /dev/mapper/control: open failed: No such"
              + " device");
    }
  }

  @Nested
  class DiskProvisioner {
    @Test
    void autoPicksDmSnapshotWhenItWorks() throws Exception {
      assertThat(check("disk-provisioner").detail())
          .isEqualTo("dm-snapshot (auto: device-mapper snapshots work)");
    }

    @Test
    void configuredDmSnapshotWithoutDeviceMapperFails() throws Exception {
      configure(ConfigKey.DISK_PROVISIONER, "dm-snapshot");
      Files.delete(mapperControl);

      DoctorCheck disk = check("disk-provisioner");

      assertThat(disk.status()).isEqualTo(Status.FAIL);
      assertThat(disk.detail()).contains("dm-snapshot").contains("not available");
      assertThat(disk.fix()).contains("disk_provisioner = \"auto\"");
    }

    @Test
    void configuredDmSnapshotPassesWhenAvailable() throws Exception {
      configure(ConfigKey.DISK_PROVISIONER, "dm-snapshot");
      assertThat(check("disk-provisioner").detail()).isEqualTo("dm-snapshot (configured)");
    }

    @Test
    void configuredCopyPassesWithoutDeviceMapper() throws Exception {
      configure(ConfigKey.DISK_PROVISIONER, "copy");
      Files.delete(mapperControl);

      DoctorCheck disk = check("disk-provisioner");

      assertThat(disk.status()).isEqualTo(Status.PASS);
      assertThat(disk.detail()).startsWith("copy (configured)");
    }
  }

  @Nested
  class Tools {
    @Test
    void missingLosetupFailsNamingItsPackage() throws Exception {
      probe.onPath("losetup", null);

      DoctorCheck losetup = check("losetup");

      assertThat(losetup.status()).isEqualTo(Status.FAIL);
      assertThat(losetup.detail()).isEqualTo("losetup not found on PATH");
      assertThat(losetup.fix()).isEqualTo("apt-get install mount");
    }

    @Test
    void missingIpFailsNamingItsPackage() throws Exception {
      probe.onPath("ip", null);

      DoctorCheck ip = check("ip");

      assertThat(ip.status()).isEqualTo(Status.FAIL);
      assertThat(ip.fix()).isEqualTo("apt-get install iproute2");
    }

    @Test
    void presentToolsNameTheirPath() throws Exception {
      assertThat(check("losetup").detail()).isEqualTo("/usr/sbin/losetup");
    }

    @Test
    void firewallPrefersNft() throws Exception {
      probe.onPath("iptables", "/usr/sbin/iptables");
      assertThat(check("firewall").detail()).isEqualTo("nft (/usr/sbin/nft)");
    }

    @Test
    void firewallFallsBackToIptables() throws Exception {
      probe.onPath("nft", null).onPath("iptables", "/usr/sbin/iptables");

      DoctorCheck firewall = check("firewall");

      assertThat(firewall.status()).isEqualTo(Status.PASS);
      assertThat(firewall.detail()).startsWith("iptables (/usr/sbin/iptables");
    }

    @Test
    void noFirewallToolFails() throws Exception {
      probe.onPath("nft", null);

      DoctorCheck firewall = check("firewall");

      assertThat(firewall.status()).isEqualTo(Status.FAIL);
      assertThat(firewall.fix()).isEqualTo("apt-get install nftables");
    }

    @Test
    void missingTunFails() throws Exception {
      probe.remove("/dev/net/tun");

      DoctorCheck tun = check("tun");

      assertThat(tun.status()).isEqualTo(Status.FAIL);
      assertThat(tun.fix()).isEqualTo("modprobe tun");
    }
  }

  @Nested
  class IpForward {
    @Test
    void offWarnsThatTheDaemonTurnsItOn() throws Exception {
      probe.text("/proc/sys/net/ipv4/ip_forward", "0\n");

      DoctorCheck forward = check("ip-forward");

      assertThat(forward.status()).isEqualTo(Status.WARN);
      assertThat(forward.detail())
          .isEqualTo("net.ipv4.ip_forward = 0: the daemon enables it when it sets up NAT");
      assertThat(forward.fix()).isEqualTo("sysctl -w net.ipv4.ip_forward=1");
    }

    @Test
    void unreadableWarns() throws Exception {
      probe.text("/proc/sys/net/ipv4/ip_forward", null);

      DoctorCheck forward = check("ip-forward");

      assertThat(forward.status()).isEqualTo(Status.WARN);
      assertThat(forward.detail()).startsWith("cannot read /proc/sys/net/ipv4/ip_forward");
    }
  }

  @Nested
  class BridgeCidr {
    private void routes(String json) {
      runner.on(List.of(IP, "-j", "route", "show"), 0, json, "");
    }

    @Test
    void anOverlappingRouteOnAnotherDeviceFailsNamingIt() throws Exception {
      routes(
          "[{\"dst\":\"default\",\"gateway\":\"192.0.2.1\",\"dev\":\"eth0\"},"
              + "{\"dst\":\"10.77.0.0/16\",\"gateway\":\"192.0.2.9\",\"dev\":\"tun0\"}]");

      DoctorCheck cidr = check("bridge-cidr");

      assertThat(cidr.status()).isEqualTo(Status.FAIL);
      assertThat(cidr.detail())
          .isEqualTo("bridge_cidr 10.77.0.1/24 overlaps the route 10.77.0.0/16 dev tun0");
      assertThat(cidr.fix())
          .isEqualTo("set bridge_cidr in /etc/hearth/config.toml to a free range");
    }

    @Test
    void aHostRouteInsideTheBridgeNetworkFails() throws Exception {
      routes("[{\"type\":\"blackhole\",\"dst\":\"10.77.0.200\",\"flags\":[]}]");

      DoctorCheck cidr = check("bridge-cidr");

      assertThat(cidr.status()).isEqualTo(Status.FAIL);
      assertThat(cidr.detail()).endsWith("overlaps the route blackhole 10.77.0.200");
    }

    @Test
    void theBridgesOwnRouteAndTheDefaultRouteAreFine() throws Exception {
      routes(
          "[{\"dst\":\"default\",\"gateway\":\"192.0.2.1\",\"dev\":\"eth0\"},"
              + "{\"dst\":\"10.77.0.0/24\",\"dev\":\"hearth0\",\"protocol\":\"kernel\"},"
              + "{\"dst\":\"10.78.0.0/24\",\"dev\":\"eth1\"}]");

      DoctorCheck cidr = check("bridge-cidr");

      assertThat(cidr.status()).isEqualTo(Status.PASS);
      assertThat(cidr.detail()).isEqualTo("no route overlaps 10.77.0.0/24 except through hearth0");
    }

    @Test
    void followsTheConfiguredBridge() throws Exception {
      configure(ConfigKey.BRIDGE_CIDR, "192.0.2.129/25");

      DoctorCheck cidr = check("bridge-cidr");

      assertThat(cidr.status()).isEqualTo(Status.FAIL);
      assertThat(cidr.detail()).contains("192.0.2.0/24 dev eth0");
    }

    @Test
    void withoutIpItIsNotChecked() throws Exception {
      probe.onPath("ip", null);

      DoctorCheck cidr = check("bridge-cidr");

      assertThat(cidr.status()).isEqualTo(Status.WARN);
      assertThat(cidr.detail()).startsWith("not checked");
      assertThat(runner.argvs()).noneMatch(argv -> argv.contains("route"));
    }
  }

  @Nested
  class DnsPort {
    private BoundSocket udp(String address, int port, long inode) throws IOException {
      return new BoundSocket("udp", InetAddress.getByName(address), port, 101, inode);
    }

    @Test
    void aWildcardListenerOnPort53Warns() throws Exception {
      probe.sockets(udp("127.0.0.53", 53, 7), udp("0.0.0.0", 53, 8));

      DoctorCheck dns = check("dns-port");

      assertThat(dns.status()).isEqualTo(Status.WARN);
      assertThat(dns.detail())
          .isEqualTo(
              "already listening: udp 0.0.0.0:53 (uid 101, socket inode 8);"
                  + " the VM DNS needs 10.77.0.1:53");
      assertThat(dns.fix()).isNotEmpty();
    }

    @Test
    void aListenerOnTheGatewayWarns() throws Exception {
      probe.sockets(new BoundSocket("udp6", InetAddress.getByName("::ffff:10.77.0.1"), 53, 0, 9));

      assertThat(check("dns-port").detail()).startsWith("already listening: udp6 10.77.0.1:53");
    }

    @Test
    void anIpv6WildcardListenerWarns() throws Exception {
      probe.sockets(new BoundSocket("tcp6", InetAddress.getByName("::"), 53, 0, 10));

      assertThat(check("dns-port").detail())
          .startsWith("already listening: tcp6 [0:0:0:0:0:0:0:0]:53");
    }

    @Test
    void otherAddressesPortsAndOurOwnSocketsAreFine() throws Exception {
      probe
          .sockets(udp("127.0.0.53", 53, 7), udp("0.0.0.0", 5353, 8), udp("10.77.0.1", 53, 9))
          .ownInodes(9L);

      DoctorCheck dns = check("dns-port");

      assertThat(dns.status()).isEqualTo(Status.PASS);
      assertThat(dns.detail()).isEqualTo("10.77.0.1:53 is free for the VM DNS");
    }
  }

  @Nested
  class StateDir {
    @Test
    void passesWithTheFigure() throws Exception {
      assertThat(check("state-dir").detail()).isEqualTo("50 GiB free in /var/lib/hearth");
    }

    @Test
    void lessThanOneGibFails() throws Exception {
      probe.space("/var/lib/hearth", 512L << 20);

      DoctorCheck state = check("state-dir");

      assertThat(state.status()).isEqualTo(Status.FAIL);
      assertThat(state.detail()).startsWith("512 MiB free in /var/lib/hearth");
    }

    @Test
    void lessThanTenGibWarns() throws Exception {
      probe.space("/var/lib/hearth", 5 * GIB);

      DoctorCheck state = check("state-dir");

      assertThat(state.status()).isEqualTo(Status.WARN);
      assertThat(state.detail()).startsWith("5 GiB free in /var/lib/hearth");
    }

    @Test
    void aMissingStateDirIsMeasuredAtItsNearestParent() throws Exception {
      probe.remove("/var/lib/hearth").remove("/var/lib").space("/var", 20 * GIB);

      DoctorCheck state = check("state-dir");

      assertThat(state.status()).isEqualTo(Status.PASS);
      assertThat(state.detail())
          .isEqualTo("20 GiB free in /var/lib/hearth (not created yet; measured at /var)");
    }
  }

  @Nested
  class ReflinkSupport {
    @Test
    void unsupportedWarns() throws Exception {
      probe.reflink(new Reflink(false, "cp --reflink=always in /var/lib/hearth: not supported"));

      DoctorCheck reflink = check("reflink");

      assertThat(reflink.status()).isEqualTo(Status.WARN);
      assertThat(reflink.detail()).endsWith(": copies will be sparse full copies");
      assertThat(reflink.fix()).contains("btrfs");
    }

    @Test
    void aMissingStateDirIsTestedInItsNearestParent() throws Exception {
      probe.remove("/var/lib/hearth");

      assertThat(check("reflink").status()).isEqualTo(Status.PASS);
      assertThat(probe.reflinkDirs()).containsExactly(java.nio.file.Path.of("/var/lib"));
    }

    @Test
    void anUnwritableFolderWarns() throws Exception {
      probe.reflinkError(new AccessDeniedException("/var/lib/hearth/.hearth-doctor-1.src"));

      DoctorCheck reflink = check("reflink");

      assertThat(reflink.status()).isEqualTo(Status.WARN);
      assertThat(reflink.detail()).startsWith("reflink could not be tested in /var/lib/hearth");
    }
  }

  @Nested
  class RuntimeDir {
    @Test
    void passesWithModeAndOwner() throws Exception {
      assertThat(check("runtime-dir").detail()).isEqualTo("/run/hearth (mode 0755, owner uid 0)");
    }

    @Test
    void missingButCreatablePasses() throws Exception {
      probe.remove("/run/hearth");

      DoctorCheck runtime = check("runtime-dir");

      assertThat(runtime.status()).isEqualTo(Status.PASS);
      assertThat(runtime.detail()).contains("can create it in /run");
    }

    @Test
    void missingUnderAnUnwritableParentFails() throws Exception {
      posix = new FakePosix(1000, 1000);
      probe.remove("/run/hearth").readWrite("/run", false);

      DoctorCheck runtime = check("runtime-dir");

      assertThat(runtime.status()).isEqualTo(Status.FAIL);
      assertThat(runtime.detail())
          .isEqualTo("/run/hearth does not exist and /run is not writable by uid 1000");
    }

    @Test
    void worldWritableFailsNamingPathAndMode() throws Exception {
      probe.dir("/run/hearth", 0777, 0);

      DoctorCheck runtime = check("runtime-dir");

      assertThat(runtime.status()).isEqualTo(Status.FAIL);
      assertThat(runtime.detail())
          .startsWith("/run/hearth is world-writable (mode 0777, owner uid 0)");
      assertThat(runtime.fix()).isEqualTo("chmod o-w /run/hearth");
    }

    @Test
    void ownedBySomeoneElseFails() throws Exception {
      probe.dir("/run/hearth", 0755, 1234);

      DoctorCheck runtime = check("runtime-dir");

      assertThat(runtime.status()).isEqualTo(Status.FAIL);
      assertThat(runtime.detail())
          .isEqualTo("/run/hearth is owned by neither root nor uid 0 (mode 0755, owner uid 1234)");
    }

    @Test
    void ownedByTheDaemonsUserPasses() throws Exception {
      posix = new FakePosix(1000, 1000);
      probe.dir("/run/hearth", 0700, 1000);

      assertThat(check("runtime-dir").status()).isEqualTo(Status.PASS);
    }

    @Test
    void aFileInsteadOfAFolderFails() throws Exception {
      probe.file("/run/hearth", 0644, 0);

      assertThat(check("runtime-dir").status()).isEqualTo(Status.FAIL);
    }
  }

  @Nested
  class SocketGroup {
    @Test
    void existingGroupPassesWithItsGid() throws Exception {
      assertThat(check("socket-group").detail()).isEqualTo("group hearth exists (gid 990)");
    }

    @Test
    void noGroupConfiguredPasses() throws Exception {
      configure(ConfigKey.SOCKET_GROUP, "");

      DoctorCheck group = check("socket-group");

      assertThat(group.status()).isEqualTo(Status.PASS);
      assertThat(group.detail()).startsWith("socket kept to root and the daemon's user");
    }

    @Test
    void missingGroupWarns() throws Exception {
      configure(ConfigKey.SOCKET_GROUP, "devs");

      DoctorCheck group = check("socket-group");

      assertThat(group.status()).isEqualTo(Status.WARN);
      assertThat(group.detail()).contains("keeps the socket to root");
      assertThat(group.fix()).isEqualTo("groupadd devs");
    }
  }

  @Nested
  class SshKey {
    @Test
    void missingWarns() throws Exception {
      probe.remove(SSH_KEY);

      DoctorCheck key = check("ssh-key");

      assertThat(key.status()).isEqualTo(Status.WARN);
      assertThat(key.detail())
          .isEqualTo(SSH_KEY + " does not exist: created at first daemon start");
    }

    @Test
    void readableByOthersFails() throws Exception {
      probe.file(SSH_KEY, 0644, 0);

      DoctorCheck key = check("ssh-key");

      assertThat(key.status()).isEqualTo(Status.FAIL);
      assertThat(key.detail()).contains("mode 0644");
      assertThat(key.fix()).isEqualTo("chmod 600 " + SSH_KEY);
    }

    @Test
    void groupBitsAloneFail() throws Exception {
      probe.file(SSH_KEY, 0640, 0);
      assertThat(check("ssh-key").status()).isEqualTo(Status.FAIL);
    }
  }

  @Test
  void notRootWarns() throws Exception {
    posix = new FakePosix(1000, 1000).group("hearth", 990);

    DoctorCheck privileges = check("privileges");

    assertThat(privileges.status()).isEqualTo(Status.WARN);
    assertThat(privileges.detail())
        .isEqualTo("running as uid 1000: host networking and device-mapper need root");
    assertThat(privileges.fix()).isEqualTo("run the daemon as root");
  }
}
