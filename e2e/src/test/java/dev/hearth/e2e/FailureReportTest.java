package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The failure report of the e2e suite, on plain files (a unit test: not tagged e2e). */
class FailureReportTest {
  @TempDir Path dir;

  @Test
  void copiesEachLogAndNamesItsPathAndTailInTheMessage() throws Exception {
    Path console = dir.resolve("vms/abc/console.log");
    Files.createDirectories(console.getParent());
    Files.writeString(console, numbered("boot line", 100));
    Path daemon = dir.resolve("daemon.log");
    Files.writeString(daemon, "INFO started\nERROR wait-ssh timed out after 120s\n");
    Map<String, Path> logs = new LinkedHashMap<>();
    logs.put("daemon.log", daemon);
    logs.put("console-abc.log", console);
    IllegalStateException failure = new IllegalStateException("vm create exited 1");

    AssertionError error =
        new FailureReport(dir.resolve("kept")).report("LifecycleE2eTest.creates", failure, logs);

    Path folder = dir.resolve("kept/LifecycleE2eTest.creates");
    assertThat(folder.resolve("daemon.log")).hasSameTextualContentAs(daemon);
    assertThat(folder.resolve("console-abc.log")).hasSameTextualContentAs(console);
    assertThat(error.getCause()).isSameAs(failure);
    assertThat(error.getMessage())
        .contains(
            "LifecycleE2eTest.creates failed: java.lang.IllegalStateException: vm create exited 1")
        .contains("Logs kept in " + folder)
        .contains(folder.resolve("daemon.log").toString())
        .contains(folder.resolve("console-abc.log").toString())
        .contains("ERROR wait-ssh timed out after 120s")
        .contains("boot line 100")
        .contains("boot line " + (100 - FailureReport.TAIL_LINES + 1))
        .doesNotContain("boot line " + (100 - FailureReport.TAIL_LINES) + "\n");
  }

  @Test
  void namesALogThatIsMissingAndKeepsTheOthers() throws Exception {
    Path daemon = Files.writeString(dir.resolve("daemon.log"), "INFO listening\n");
    Map<String, Path> logs = new LinkedHashMap<>();
    logs.put("console.log", dir.resolve("gone/console.log"));
    logs.put("daemon.log", daemon);

    String message =
        new FailureReport(dir.resolve("kept"))
            .report("T.step", new AssertionError("boom"), logs)
            .getMessage();

    assertThat(message).contains("no log, nothing at " + dir.resolve("gone/console.log"));
    assertThat(message).contains("   | INFO listening");
    assertThat(dir.resolve("kept/T.step/daemon.log")).exists();
    assertThat(dir.resolve("kept/T.step/console.log")).doesNotExist();
  }

  @Test
  void tailCutsLongLinesAndReadsBrokenUtf8() throws Exception {
    Path log = dir.resolve("console.log");
    byte[] broken = {'o', 'k', ' ', (byte) 0xff, (byte) 0xfe, '\n'};
    Files.write(log, broken);
    Files.writeString(
        log,
        "x".repeat(1000) + "\n",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND);

    String tail = FailureReport.tail(log, 5);

    assertThat(tail).startsWith("   | ok \uFFFD\uFFFD\n");
    assertThat(tail.lines().skip(1).findFirst().orElseThrow()).hasSize(5 + 300 + 3);
  }

  @Test
  void aTestNameBecomesOneSafeFolderName() {
    FailureReport report = new FailureReport(dir);

    assertThat(report.folder("Lifecycle E2eTest/step()"))
        .isEqualTo(dir.resolve("Lifecycle_E2eTest_step__"));
  }

  private static String numbered(String prefix, int count) {
    return IntStream.rangeClosed(1, count)
        .mapToObj(i -> prefix + " " + i)
        .collect(Collectors.joining("\n", "", "\n"));
  }
}
