package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorCheck.Status;
import dev.hearth.daemon.DoctorReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Doctor without a daemon: checked from this process. */
class DoctorCommandTest {
  @TempDir Path dir;

  private String[] args(String... extra) throws IOException {
    Path config = dir.resolve("config.toml");
    Files.writeString(
        config,
        "state_dir = \""
            + dir.resolve("state")
            + "\"\nruntime_dir = \""
            + dir.resolve("run")
            + "\"\nsocket_group = \"\"\n");
    String[] base = {"doctor", "--config", config.toString()};
    String[] all = new String[base.length + extra.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    return all;
  }

  @Test
  void jsonHasEveryCheckAndTheExitCodeFollowsFailures() throws IOException {
    CliRun.Result r = CliRun.run(args("--json"));
    JsonNode json = Json.parse(r.out());
    assertThat(json.path("source").asText()).isEqualTo("local");
    JsonNode checks = json.path("checks");
    assertThat(checks.isArray()).isTrue();
    boolean anyFail = false;
    for (JsonNode check : checks) {
      assertThat(check.path("name").asText()).isNotEmpty();
      assertThat(check.path("status").asText()).isIn("PASS", "WARN", "FAIL");
      anyFail |= check.path("status").asText().equals("FAIL");
    }
    assertThat(json.path("failed").asBoolean()).isEqualTo(anyFail);
    assertThat(r.exitCode()).isEqualTo(anyFail ? 1 : 0);
  }

  @Test
  void tableSaysWhereItWasCheckedAndHasAFixUnderEveryProblem() throws IOException {
    CliRun.Result r = CliRun.run(args());
    JsonNode json = Json.parse(CliRun.run(args("--json")).out());
    assertThat(r.out().lines().findFirst())
        .contains("(no daemon running: checked from this process)");
    assertThat(r.out().lines().skip(1).findFirst().orElseThrow()).matches("STATUS +CHECK +DETAIL");
    Set<String> names = new HashSet<>();
    for (JsonNode check : json.path("checks")) {
      names.add(check.path("name").asText());
      String status = check.path("status").asText();
      assertThat(r.out()).containsPattern("(?m)^" + status + " +" + check.path("name").asText());
      if (!status.equals("PASS") && !check.path("fix").asText().isEmpty()) {
        String fix = check.path("fix").asText();
        assertThat(r.out()).containsPattern("(?m)^ +fix: \\Q" + fix + "\\E$");
      }
    }
    assertThat(names).hasSize(json.path("checks").size());
  }

  @Test
  void colourOnlyOnATerminalWithoutNoColor() throws IOException {
    assertThat(CliRun.run(Map.of(), true, args()).out()).contains("\u001b[");
    assertThat(CliRun.run(Map.of(), false, args()).out()).doesNotContain("\u001b[");
    assertThat(CliRun.run(Map.of("NO_COLOR", "1"), true, args()).out()).doesNotContain("\u001b[");
    assertThat(CliRun.run(Map.of(), true, args("--no-color")).out()).doesNotContain("\u001b[");
  }

  @Test
  void quietLeavesOutTheNoteAndPassingChecks() throws IOException {
    CliRun.Result r = CliRun.run(args("--quiet"));
    assertThat(r.out()).doesNotContain("no daemon running").doesNotContainPattern("(?m)^PASS");
  }

  @Test
  void tableAlignsChecksAndPutsTheFixUnderEachProblem() {
    DoctorReport report =
        new DoctorReport(
            List.of(
                new DoctorCheck("kvm", Status.PASS, "/dev/kvm is readable and writable", ""),
                new DoctorCheck("jailer", Status.WARN, "not found on PATH", "install jailer"),
                new DoctorCheck("firecracker", Status.FAIL, "not found", "set firecracker_bin")));

    assertThat(render(report, false, false).lines())
        .containsExactly(
            "STATUS  CHECK        DETAIL",
            "PASS    kvm          /dev/kvm is readable and writable",
            "WARN    jailer       not found on PATH",
            "        fix: install jailer",
            "FAIL    firecracker  not found",
            "        fix: set firecracker_bin");
    assertThat(render(report, true, false).lines())
        .containsExactly(
            "STATUS  CHECK        DETAIL",
            "WARN    jailer       not found on PATH",
            "        fix: install jailer",
            "FAIL    firecracker  not found",
            "        fix: set firecracker_bin");
    assertThat(render(report, false, true))
        .contains("\u001b[32mPASS\u001b[0m")
        .contains("\u001b[33mWARN\u001b[0m")
        .contains("\u001b[31mFAIL\u001b[0m");
  }

  private static String render(DoctorReport report, boolean quiet, boolean colour) {
    StringWriter out = new StringWriter();
    DoctorCommand.table(report, quiet).print(new PrintWriter(out), new Style(colour));
    return out.toString();
  }
}
