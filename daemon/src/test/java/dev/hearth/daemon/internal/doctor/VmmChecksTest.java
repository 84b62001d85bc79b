package dev.hearth.daemon.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Command;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.testing.FakePosix;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorCheck.Status;
import dev.hearth.daemon.DoctorReport;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link dev.hearth.fcproc.VmmChecks} in the doctor: kvm, vmm, firecracker, QEMU's tools, jailer.
 */
class VmmChecksTest extends DoctorFixture {
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
                  + " /usr/local/bin/firecracker on KVM (/dev/kvm opens for reading and writing);"
                  + " each VM is started through the jailer /usr/local/bin/jailer");
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
                  + " and Firecracker needs KVM; each VM is started through the jailer"
                  + " /usr/local/bin/jailer");
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
          .isEqualTo(program + " not found on PATH: hearth-qemu-firecracker cannot boot VMs");
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
  class Jailer {
    @Test
    void foundWithFirecrackerIsUsedAsVmUser() throws Exception {
      DoctorCheck jailer = check("jailer");

      assertThat(jailer.status()).isEqualTo(Status.PASS);
      assertThat(jailer.detail())
          .isEqualTo(
              "/usr/local/bin/jailer: each Firecracker VM is started through it, as vm_user"
                  + " hearth-vm (uid 995), its jail in /var/lib/hearth/jailer");
    }

    @Test
    void aMissingVmUserFailsSinceEveryBootWould() throws Exception {
      posix = new FakePosix(0, 0).group("hearth", 990);

      DoctorCheck jailer = check("jailer");

      assertThat(jailer.status()).isEqualTo(Status.FAIL);
      assertThat(jailer.detail()).contains("vm_user 'hearth-vm' does not exist");
      assertThat(jailer.fix()).startsWith("useradd --system");
    }

    @Test
    void rootAsVmUserFails() throws Exception {
      posix = new FakePosix(0, 0).group("hearth", 990).user("hearth-vm", 0, 0);

      assertThat(check("jailer").status()).isEqualTo(Status.FAIL);
      assertThat(check("jailer").detail()).endsWith("which is root");
    }

    @Test
    void missingWithFirecrackerWarnsThatVmsRunWithoutIt() throws Exception {
      probe.onPath("jailer", null);

      DoctorCheck jailer = check("jailer");

      assertThat(jailer.status()).isEqualTo(Status.WARN);
      assertThat(jailer.detail())
          .startsWith("no executable 'jailer' on PATH or next to firecracker")
          .endsWith("Firecracker VMs run without the jailer (no chroot, uid or cgroup)");
      assertThat(jailer.fix()).isNotEmpty();
    }

    @Test
    void configuredPathIsChecked() throws Exception {
      configure(ConfigKey.JAILER_BIN, "/opt/fc/jailer");

      assertThat(check("jailer").status()).isEqualTo(Status.WARN);
      assertThat(check("jailer").detail()).startsWith("jailer_bin /opt/fc/jailer is missing");

      probe.executable("/opt/fc/jailer");
      assertThat(check("jailer").detail()).startsWith("/opt/fc/jailer: each Firecracker VM");
    }

    @Test
    void notNeededWithQemu() throws Exception {
      configure(ConfigKey.VMM, "qemu");

      DoctorCheck jailer = check("jailer");

      assertThat(jailer.status()).isEqualTo(Status.PASS);
      assertThat(jailer.detail())
          .isEqualTo(
              "/usr/local/bin/jailer, not used: the jailer starts only Firecracker, and VMs run"
                  + " under qemu");
    }
  }
}
