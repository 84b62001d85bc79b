package dev.hearth.workspace;

import static dev.hearth.workspace.Git.git;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.RequiresBinary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The status script run with /bin/sh on a real repository, and its strict parser. */
class GuestStatusTest {
  @TempDir Path dir;

  @Test
  @RequiresBinary("git")
  void theStatusScriptReportsBranchHeadCommitsSinceTheBaseAndChanges() throws Exception {
    Path ws = Git.repo(dir.resolve("-ws 'q' é"));
    String base = git(ws, "rev-parse", "HEAD").strip();
    git(ws, "commit", "-q", "--allow-empty", "-m", "in the guest");
    Files.writeString(ws.resolve("a.txt"), "edited\n");
    Files.writeString(ws.resolve("new\nline"), "n\n");

    Git.Result r = LocalScripts.run(dir, WorkspaceScripts.status(ws.toString(), base), new byte[0]);
    GuestStatus status = GuestStatus.parse(r.stdout());

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(status.branch()).contains("main");
    assertThat(status.head()).contains(git(ws, "rev-parse", "HEAD").strip());
    assertThat(status.commitsSinceImport()).hasValue(1);
    assertThat(status.commits()).singleElement().asString().endsWith(" in the guest");
    assertThat(status.changes()).containsExactly(" M a.txt", "?? new\nline");
  }

  @Test
  void malformedOrOversizedOutputIsRefused() {
    assertThatThrownBy(() -> GuestStatus.parse("junk".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("does not start with the status header");
    assertThatThrownBy(
            () ->
                GuestStatus.parse(
                    "hearth-status\0refs/tags/x\0\0\0hearth-changes\0"
                        .getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("HEAD is not a branch");
    assertThatThrownBy(
            () ->
                GuestStatus.parse(
                    "hearth-status\0refs/heads/m\0$(id)\0\0hearth-changes\0"
                        .getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("the HEAD commit is not a hash");
    assertThatThrownBy(() -> GuestStatus.parse(new byte[GuestStatus.MAX_BYTES + 1]))
        .hasMessageContaining("larger than 4 MiB");
  }
}
