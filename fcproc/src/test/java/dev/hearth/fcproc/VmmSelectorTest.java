package dev.hearth.fcproc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmmSelectorTest {
  static final String PATH = "/usr/local/bin:/usr/bin";
  static final Path FIRECRACKER = Path.of("/usr/local/bin/firecracker");
  static final Path HOME = Path.of("/opt/hearth");
  static final Path LAUNCHER = Path.of("/opt/hearth/bin/hearth-qemu-firecracker");
  static final KvmStatus WORKS =
      new KvmStatus(KvmStatus.Kind.USABLE, "/dev/kvm opens for reading and writing");
  static final KvmStatus MISSING = new KvmStatus(KvmStatus.Kind.MISSING, "there is no /dev/kvm");
  static final KvmStatus PVM =
      new KvmStatus(KvmStatus.Kind.PVM, "/dev/kvm is PVM's (module kvm_pvm is loaded)");
  static final KvmStatus NO_ACCESS =
      new KvmStatus(
          KvmStatus.Kind.NO_ACCESS,
          "/dev/kvm cannot be opened for reading and writing (permission denied)");

  /** Executable files of the imaginary host: the launcher is installed, firecracker too. */
  final Set<Path> executables = new HashSet<>(Set.of(FIRECRACKER, LAUNCHER));

  KvmStatus kvm = WORKS;
  Optional<Path> home = Optional.of(HOME);
  QemuAccel accel = QemuAccel.AUTO;

  VmmSelector selector() {
    return new VmmSelector(PATH, home, accel, executables::contains, () -> kvm);
  }

  VmmChoice choose(VmmMode mode) {
    return selector().choose(mode, Optional.empty());
  }

  @Nested
  class Auto {
    @Test
    void firecrackerOnPathWithWorkingKvmIsFirecracker() {
      VmmChoice choice = choose(VmmMode.AUTO);

      assertThat(choice.kind()).isEqualTo(VmmKind.FIRECRACKER);
      assertThat(choice.binary()).hasValue(FIRECRACKER);
      assertThat(choice.softwareEmulation()).isFalse();
      assertThat(choice.reason())
          .isEqualTo(
              "vmm = auto: Firecracker /usr/local/bin/firecracker on KVM (/dev/kvm opens for"
                  + " reading and writing)");
    }

    @Test
    void noFirecrackerOnPathIsQemuWithKvmNamingWhereItLooked() {
      executables.remove(FIRECRACKER);

      VmmChoice choice = choose(VmmMode.AUTO);

      assertThat(choice.kind()).isEqualTo(VmmKind.QEMU);
      assertThat(choice.binary()).hasValue(LAUNCHER);
      assertThat(choice.softwareEmulation()).isFalse();
      assertThat(choice.reason())
          .isEqualTo(
              "no executable 'firecracker' on PATH (looked in /usr/local/bin, /usr/bin), so VMs"
                  + " run under QEMU with KVM through /opt/hearth/bin/hearth-qemu-firecracker");
    }

    @Test
    void aMissingKvmIsEmulatedQemuEvenWithFirecracker() {
      kvm = MISSING;

      VmmChoice choice = choose(VmmMode.AUTO);

      assertThat(choice.kind()).isEqualTo(VmmKind.QEMU);
      assertThat(choice.softwareEmulation()).isTrue();
      assertThat(choice.reason())
          .isEqualTo(
              "there is no /dev/kvm, so VMs run under QEMU with software emulation through"
                  + " /opt/hearth/bin/hearth-qemu-firecracker");
      assertThat(choice.kvm()).isEqualTo(MISSING);
    }

    @Test
    void aPvmKvmCountsAsNoKvm() {
      kvm = PVM;

      VmmChoice choice = choose(VmmMode.AUTO);

      assertThat(choice.kind()).isEqualTo(VmmKind.QEMU);
      assertThat(choice.softwareEmulation()).isTrue();
      assertThat(choice.reason())
          .startsWith("/dev/kvm is PVM's (module kvm_pvm is loaded), so VMs");
    }

    @Test
    void aKvmThatDoesNotOpenCountsAsNoKvm() {
      kvm = NO_ACCESS;

      assertThat(choose(VmmMode.AUTO).kind()).isEqualTo(VmmKind.QEMU);
    }

    @Test
    void noFirecrackerAndNoKvmNamesBoth() {
      executables.remove(FIRECRACKER);
      kvm = PVM;

      assertThat(choose(VmmMode.AUTO).reason())
          .startsWith(
              "no executable 'firecracker' on PATH (looked in /usr/local/bin, /usr/bin) and"
                  + " /dev/kvm is PVM's");
    }

    @Test
    void forcedTcgIsSoftwareEmulationEvenWithKvm() {
      executables.remove(FIRECRACKER);
      accel = QemuAccel.TCG;

      VmmChoice choice = choose(VmmMode.AUTO);

      assertThat(choice.softwareEmulation()).isTrue();
      assertThat(choice.reason()).contains("with software emulation (HEARTH_QEMU_ACCEL=tcg)");
    }

    @Test
    void withoutTheLauncherNothingCanRun() {
      kvm = MISSING;
      home = Optional.empty();

      VmmChoice choice = choose(VmmMode.AUTO);

      assertThat(choice.kind()).isEqualTo(VmmKind.NONE);
      assertThat(choice.runnable()).isFalse();
      assertThat(choice.binary()).isEmpty();
      assertThat(choice.reason())
          .isEqualTo(
              "there is no /dev/kvm, and the bundled hearth-qemu-firecracker cannot be found:"
                  + " HEARTH_HOME is not set (bin/hearth sets it to the distribution's folder)");
      assertThatThrownBy(choice::requireBinary)
          .isInstanceOf(FirecrackerBinaryException.class)
          .hasMessage("no VMM can run VMs on this host: " + choice.reason());
    }

    @Test
    void aHomeWithoutTheLauncherNamesTheFileLookedFor() {
      executables.remove(FIRECRACKER);
      executables.remove(LAUNCHER);

      assertThat(choose(VmmMode.AUTO).reason())
          .endsWith(", and there is no executable /opt/hearth/bin/hearth-qemu-firecracker");
    }
  }

  @Nested
  class Firecracker {
    @Test
    void withKvmIsFirecracker() {
      VmmChoice choice = choose(VmmMode.FIRECRACKER);

      assertThat(choice.kind()).isEqualTo(VmmKind.FIRECRACKER);
      assertThat(choice.reason()).startsWith("vmm = firecracker: Firecracker");
    }

    @Test
    void withoutKvmNothingRunsEvenWithTheLauncher() {
      kvm = PVM;

      VmmChoice choice = choose(VmmMode.FIRECRACKER);

      assertThat(choice.kind()).isEqualTo(VmmKind.NONE);
      assertThat(choice.reason())
          .isEqualTo(
              "vmm = firecracker, but /dev/kvm is PVM's (module kvm_pvm is loaded) and"
                  + " Firecracker needs KVM");
    }

    @Test
    void withoutTheBinaryNothingRuns() {
      executables.remove(FIRECRACKER);

      VmmChoice choice = choose(VmmMode.FIRECRACKER);

      assertThat(choice.kind()).isEqualTo(VmmKind.NONE);
      assertThat(choice.reason())
          .isEqualTo(
              "vmm = firecracker, but no executable 'firecracker' on PATH (looked in"
                  + " /usr/local/bin, /usr/bin)");
    }
  }

  @Nested
  class Qemu {
    @Test
    void isTheLauncherEvenWithFirecrackerAndKvm() {
      VmmChoice choice = choose(VmmMode.QEMU);

      assertThat(choice.kind()).isEqualTo(VmmKind.QEMU);
      assertThat(choice.binary()).hasValue(LAUNCHER);
      assertThat(choice.softwareEmulation()).isFalse();
      assertThat(choice.reason())
          .isEqualTo(
              "vmm = qemu, so VMs run under QEMU with KVM through"
                  + " /opt/hearth/bin/hearth-qemu-firecracker");
    }

    @Test
    void withoutTheLauncherNothingRuns() {
      home = Optional.empty();

      assertThat(choose(VmmMode.QEMU).kind()).isEqualTo(VmmKind.NONE);
    }
  }

  @Nested
  class ConfiguredBinary {
    @Test
    void winsOverEverythingAndIsUsedAsIs() {
      Path fc = Path.of("/opt/fc/firecracker");
      executables.add(fc);
      kvm = MISSING;

      VmmChoice choice = selector().choose(VmmMode.QEMU, Optional.of(fc));

      assertThat(choice.kind()).isEqualTo(VmmKind.FIRECRACKER);
      assertThat(choice.binary()).hasValue(fc);
      assertThat(choice.reason())
          .isEqualTo(
              "firecracker_bin = /opt/fc/firecracker is set and used as is (it wins over vmm ="
                  + " qemu), but there is no /dev/kvm and Firecracker needs KVM");
    }

    @Test
    void theLauncherByNameIsQemu() {
      kvm = PVM;

      VmmChoice choice = selector().choose(VmmMode.AUTO, Optional.of(LAUNCHER));

      assertThat(choice.kind()).isEqualTo(VmmKind.QEMU);
      assertThat(choice.softwareEmulation()).isTrue();
      assertThat(choice.reason())
          .isEqualTo(
              "firecracker_bin = /opt/hearth/bin/hearth-qemu-firecracker is set and used as is");
    }

    @Test
    void missingIsNone() {
      VmmChoice choice = selector().choose(VmmMode.AUTO, Optional.of(Path.of("/opt/fc/gone")));

      assertThat(choice.kind()).isEqualTo(VmmKind.NONE);
      assertThat(choice.reason())
          .isEqualTo("firecracker_bin /opt/fc/gone is missing or not executable");
    }

    @Test
    void readsVmmAndFirecrackerBinFromTheConfig() {
      Config config = Config.defaults().with(ConfigKey.VMM, "qemu");
      assertThat(selector().choose(config).kind()).isEqualTo(VmmKind.QEMU);

      config = config.with(ConfigKey.FIRECRACKER_BIN, FIRECRACKER.toString());
      assertThat(selector().choose(config).binary()).hasValue(FIRECRACKER);
    }
  }

  @Nested
  class OnRealFiles {
    @TempDir Path dir;

    Path executable(Path p) throws Exception {
      Files.createDirectories(p.getParent());
      Files.writeString(p, "#!/bin/sh\n");
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
      return p;
    }

    VmmSelector real(String pathVariable, Optional<Path> hearthHome) {
      return new VmmSelector(
          pathVariable,
          hearthHome,
          QemuAccel.AUTO,
          p -> Files.isRegularFile(p) && Files.isExecutable(p),
          () -> WORKS);
    }

    @Test
    void theFirstExecutableFirecrackerOnPathIsTaken() throws Exception {
      Files.createDirectories(dir.resolve("a"));
      Files.writeString(dir.resolve("a/firecracker"), "not executable");
      Path second = executable(dir.resolve("b/firecracker"));
      String path = dir.resolve("a") + "::" + dir.resolve("b") + ":" + dir.resolve("a");

      VmmSelector selector = real(path, Optional.empty());

      assertThat(selector.firecracker(Optional.empty()).path()).hasValue(second);
      assertThat(selector.choose(VmmMode.AUTO, Optional.empty()).binary()).hasValue(second);
      Files.delete(second);
      assertThat(selector.firecracker(Optional.empty()).detail())
          .as("each folder named once")
          .isEqualTo(
              "no executable 'firecracker' on PATH (looked in "
                  + dir.resolve("a")
                  + ", "
                  + dir.resolve("b")
                  + ")");
    }

    @Test
    void aFirecrackerThatLinksToTheLauncherIsQemu() throws Exception {
      Path launcher = executable(dir.resolve("hearth/bin/hearth-qemu-firecracker"));
      Files.createDirectories(dir.resolve("bin"));
      Files.createSymbolicLink(dir.resolve("bin/firecracker"), launcher);

      VmmSelector selector =
          real(dir.resolve("bin").toString(), Optional.of(dir.resolve("hearth")));

      VmmChoice auto = selector.choose(VmmMode.AUTO, Optional.empty());
      assertThat(auto.kind()).isEqualTo(VmmKind.QEMU);
      assertThat(auto.binary()).hasValue(launcher);
      assertThat(auto.reason()).startsWith(dir.resolve("bin/firecracker") + " is hearth-qemu");
      VmmChoice configured =
          selector.choose(VmmMode.AUTO, Optional.of(dir.resolve("bin/firecracker")));
      assertThat(configured.kind()).isEqualTo(VmmKind.QEMU);
    }

    @Test
    void anEmptyPathSaysSo() {
      assertThat(real("", Optional.empty()).firecracker(Optional.empty()).detail())
          .isEqualTo("no executable 'firecracker' on PATH (PATH is empty)");
    }
  }

  @Nested
  class Jailer {
    final Path onPath = Path.of("/usr/bin/jailer");
    final Path nextToFirecracker = Path.of("/opt/fc/jailer");
    final Path firecracker = Path.of("/opt/fc/firecracker");

    @Test
    void configuredPathOnPathThenNextToFirecracker() {
      executables.addAll(Set.of(onPath, nextToFirecracker, Path.of("/srv/jailer-1.16")));
      VmmSelector s = selector();
      assertThat(
              s.jailer(Optional.of(Path.of("/srv/jailer-1.16")), Optional.of(firecracker)).path())
          .hasValue(Path.of("/srv/jailer-1.16"));
      assertThat(s.jailer(Optional.empty(), Optional.of(firecracker)).path()).hasValue(onPath);
      executables.remove(onPath);
      assertThat(s.jailer(Optional.empty(), Optional.of(firecracker)).path())
          .hasValue(nextToFirecracker);
      executables.remove(nextToFirecracker);
      VmmSelector.Lookup none = s.jailer(Optional.empty(), Optional.of(firecracker));
      assertThat(none.path()).isEmpty();
      assertThat(none.detail())
          .isEqualTo(
              "no executable 'jailer' on PATH or next to firecracker (looked in /usr/local/bin,"
                  + " /usr/bin, /opt/fc)");
      assertThat(s.jailer(Optional.of(Path.of("/srv/nope")), Optional.empty()).detail())
          .isEqualTo("jailer_bin /srv/nope is missing or not executable");
    }

    @Test
    void aFirecrackerChoiceCarriesTheJailer() {
      executables.add(Path.of("/usr/local/bin/jailer"));
      VmmChoice choice = selector().choose(Config.defaults());
      assertThat(choice.kind()).isEqualTo(VmmKind.FIRECRACKER);
      assertThat(choice.jailer()).hasValue(Path.of("/usr/local/bin/jailer"));
      assertThat(choice.reason())
          .endsWith("; each VM is started through the jailer /usr/local/bin/jailer");
    }

    @Test
    void withoutAJailerFirecrackerRunsDirectly() {
      VmmChoice choice = selector().choose(Config.defaults());
      assertThat(choice.kind()).isEqualTo(VmmKind.FIRECRACKER);
      assertThat(choice.jailer()).isEmpty();
    }

    @Test
    void qemuNeverRunsUnderTheJailer() {
      executables.add(Path.of("/usr/local/bin/jailer"));
      kvm = MISSING;
      VmmChoice choice = selector().choose(Config.defaults());
      assertThat(choice.kind()).isEqualTo(VmmKind.QEMU);
      assertThat(choice.jailer()).isEmpty();
    }
  }
}
