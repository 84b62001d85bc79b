package dev.hearth.daemon.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.daemon.Daemon;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorCheck.Status;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.fcproc.KvmProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real doctor on this machine, with state and runtime folders of its own. */
@RequiresBinary("ip")
class DoctorHostTest {
  @TempDir Path temp;

  @Test
  void checksThisHostWithoutThrowingAndTellsTheTruthAboutKvm() throws Exception {
    Path state = Files.createDirectory(temp.resolve("state"));
    Path runtime = temp.resolve("run");
    Config config =
        Config.defaults()
            .with(ConfigKey.STATE_DIR, state.toString())
            .with(ConfigKey.RUNTIME_DIR, runtime.toString());

    DoctorReport report = Daemon.doctor(config);

    assertThat(report.checks())
        .extracting(DoctorCheck::name)
        .containsExactlyElementsOf(DoctorTest.CHECK_NAMES);
    assertThat(report.checks())
        .allSatisfy(
            c -> {
              assertThat(c.detail()).as(c.name()).doesNotStartWith("the check could not run");
              assertThat(c.fix().isEmpty()).as(c.name()).isEqualTo(c.status() == Status.PASS);
            });
    // The shared probe's answer: a PVM /dev/kvm (CI) or none (here) is not usable.
    boolean usableKvm = KvmProbe.system().probe().usable();
    boolean qemu = check(report, "vmm").detail().startsWith("qemu ");
    assertThat(check(report, "kvm").status())
        .isEqualTo(usableKvm ? Status.PASS : qemu ? Status.WARN : Status.FAIL);
    assertThat(check(report, "bridge-cidr").detail()).doesNotStartWith("not checked");
    assertThat(check(report, "sqlite").status()).isEqualTo(Status.PASS);
    assertThat(check(report, "runtime-dir").status()).isEqualTo(Status.PASS);
    // Looking must leave nothing behind: no database, no reflink probe files, no runtime folder.
    try (Stream<Path> left = Files.list(state)) {
      assertThat(left).isEmpty();
    }
    assertThat(runtime).doesNotExist();
  }

  private static DoctorCheck check(DoctorReport report, String name) {
    return report.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }
}
