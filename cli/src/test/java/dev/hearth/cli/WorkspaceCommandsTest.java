package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.FakeClock;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.ImportProgress;
import dev.hearth.daemon.Workspace;
import dev.hearth.daemon.WorkspaceImport;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The workspace import's progress, as the import reports it from the caller's side. */
class WorkspaceCommandsTest {
  private static final Path REPO = Path.of("/home/dev/my repo");

  private final FakeHearth hearth = new FakeHearth();

  private CliRun.Result run(boolean terminal, String... args) {
    Environment env =
        new Environment(Map.of(), terminal)
            .withClock(new FakeClock(Samples.NOW))
            .withInterrupts(new FakeInterrupts())
            .withHearths(hearth);
    return CliRun.run(env, args);
  }

  private static Workspace imported(WorkspaceImport spec) {
    return new Workspace(
        spec.vm(),
        "my repo",
        "/workspace/my repo",
        REPO,
        "main",
        "0123456789abcdef0123456789abcdef01234567",
        Samples.NOW);
  }

  /** Reports every stage, the copy in steps, as the real import does. */
  private void scriptImport() {
    hearth.workspaceImport =
        (spec, progress) -> {
          progress.update(ImportProgress.PREPARE, -1);
          for (int percent : new int[] {0, 40, 100}) {
            progress.update(ImportProgress.COPY, percent);
          }
          progress.update(ImportProgress.IMPORT, -1);
          return imported(spec);
        };
  }

  @Test
  void importShowsItsStagesThenWhatItImported() {
    scriptImport();
    CliRun.Result r = run(false, "workspace", "import", "demo", REPO.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out().lines())
        .containsExactly(
            "[stage] prepare",
            "[stage] copy",
            "[stage] import",
            "done in 0.0s",
            "imported /home/dev/my repo (main at 0123456789ab) into VM demo at /workspace/my repo");
    WorkspaceImport spec = (WorkspaceImport) hearth.calls().get(0).arg(0);
    assertThat(spec.vm()).isEqualTo("demo");
    assertThat(spec.path()).isEqualTo(REPO);
  }

  @Test
  void onATerminalTheCopyShowsItsPercentInPlace() {
    hearth.workspaceImport =
        (spec, progress) -> {
          progress.update(ImportProgress.PREPARE, -1);
          progress.update(ImportProgress.COPY, 40);
          return imported(spec);
        };
    CliRun.Result r = run(true, "workspace", "import", "demo", REPO.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("copy").contains("40%").contains(ProgressDisplay.CHECK);
  }

  @Test
  void jsonAndQuietDrawNoProgress() throws Exception {
    scriptImport();
    CliRun.Result json = run(false, "--json", "workspace", "import", "demo", REPO.toString());
    assertThat(json.out()).doesNotContain("[stage]");
    assertThat(Json.parse(json.out()).path("guest_path").asText()).isEqualTo("/workspace/my repo");
    CliRun.Result quiet = run(false, "-q", "workspace", "import", "demo", REPO.toString());
    assertThat(quiet.out()).isEmpty();
  }

  @Test
  void aFailedImportEndsItsProgressAtTheStageItReachedAndSaysWhy() {
    hearth.workspaceImport =
        (spec, progress) -> {
          progress.update(ImportProgress.PREPARE, -1);
          progress.update(ImportProgress.COPY, 10);
          throw HearthException.preconditionFailed("VM demo is not running");
        };
    CliRun.Result r = run(false, "workspace", "import", "demo", REPO.toString());
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.out().lines())
        .containsExactly("[stage] prepare", "[stage] copy", "failed in 0.0s");
    assertThat(r.err()).contains("VM demo is not running");
  }
}
