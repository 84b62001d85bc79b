package dev.hearth.fcproc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real probe on files standing in for /dev/kvm and /sys/module/kvm_pvm. */
class LinuxKvmProbeTest {
  @TempDir Path dir;

  KvmStatus probe() {
    return new LinuxKvmProbe(dir.resolve("kvm"), dir.resolve("kvm_pvm")).probe();
  }

  @Test
  void noDeviceIsMissing() {
    KvmStatus status = probe();

    assertThat(status.kind()).isEqualTo(KvmStatus.Kind.MISSING);
    assertThat(status.detail()).isEqualTo("there is no " + dir.resolve("kvm"));
    assertThat(status.usable()).isFalse();
  }

  @Test
  void aDeviceThatOpensReadWriteIsUsable() throws Exception {
    Files.createFile(dir.resolve("kvm"));

    KvmStatus status = probe();

    assertThat(status.kind()).isEqualTo(KvmStatus.Kind.USABLE);
    assertThat(status.usable()).isTrue();
  }

  @Test
  void theLoadedPvmModuleMakesItPvmsEvenIfItOpens() throws Exception {
    Files.createFile(dir.resolve("kvm"));
    Files.createDirectory(dir.resolve("kvm_pvm"));

    KvmStatus status = probe();

    assertThat(status.kind()).isEqualTo(KvmStatus.Kind.PVM);
    assertThat(status.detail()).contains("PVM's (module kvm_pvm is loaded)");
  }

  @Test
  void aDeviceThatDoesNotOpenForWritingIsNoAccess() throws Exception {
    // A folder exists but cannot be opened for writing, as root too.
    Files.createDirectory(dir.resolve("kvm"));

    KvmStatus status = probe();

    assertThat(status.kind()).isEqualTo(KvmStatus.Kind.NO_ACCESS);
    assertThat(status.detail())
        .startsWith(dir.resolve("kvm") + " cannot be opened for reading and writing (");
  }
}
