package dev.hearth.workspace;

import static dev.hearth.workspace.Git.git;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.RequiresBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RepositoryInspector on repositories made with real git, one per state. */
@RequiresBinary("git")
class RepositoryInspectorTest {
  @TempDir Path dir;
  private final RepositoryInspector inspector = new RepositoryInspector(HostGit.system());

  @Test
  void aFolderInsideTheWorkTreeMeansItsTopAndTheCheckedOutBranch() throws Exception {
    Path repo = Git.repo(dir.resolve("my repo"));
    Path inner = Files.createDirectories(repo.resolve("src/deep"));

    HostRepository found = inspector.inspect(inner);

    assertThat(found.top()).isEqualTo(repo.toRealPath());
    assertThat(found.name()).isEqualTo("my repo");
    assertThat(found.branch()).isEqualTo("main");
    assertThat(found.head()).isEqualTo(git(repo, "rev-parse", "HEAD").strip());
    assertThat(found.gitDir()).isEqualTo(repo.toRealPath().resolve(".git"));
  }

  @Test
  void aFolderOutsideAnyRepositoryIsRefused() {
    assertThatThrownBy(() -> inspector.inspect(dir))
        .isInstanceOf(RepositoryStateException.class)
        .hasMessageContaining("is not inside a git work tree");
    assertThatThrownBy(() -> inspector.inspect(dir.resolve("missing")))
        .isInstanceOf(RepositoryStateException.class)
        .hasMessageContaining("is not a folder");
  }

  @Test
  void aRepositoryWithoutCommitsIsRefused() throws Exception {
    Path repo = Files.createDirectories(dir.resolve("empty"));
    git(repo, "init", "-q", "-b", "trunk");

    assertThatThrownBy(() -> inspector.inspect(repo))
        .isInstanceOf(RepositoryStateException.class)
        .hasMessageContaining("has no commits yet on branch 'trunk'");
  }

  @Test
  void aDetachedHeadIsRefused() throws Exception {
    Path repo = Git.repo(dir.resolve("r"));
    git(repo, "checkout", "-q", "--detach");

    assertThatThrownBy(() -> inspector.inspect(repo))
        .isInstanceOf(RepositoryStateException.class)
        .hasMessageContaining("has a detached HEAD");
  }

  @Test
  void aShallowCloneIsRefused() throws Exception {
    Path origin = Git.repo(dir.resolve("origin"));
    Files.writeString(origin.resolve("b.txt"), "b");
    git(origin, "add", "b.txt");
    git(origin, "commit", "-q", "-m", "second");
    git(dir, "clone", "-q", "--depth", "1", "file://" + origin, "shallow");

    assertThatThrownBy(() -> inspector.inspect(dir.resolve("shallow")))
        .isInstanceOf(RepositoryStateException.class)
        .hasMessageContaining("is a shallow clone");
  }

  @Test
  void aLinkedWorktreeIsRefused() throws Exception {
    Path repo = Git.repo(dir.resolve("main"));
    git(repo, "worktree", "add", "-q", "-b", "side", dir.resolve("linked").toString());

    assertThatThrownBy(() -> inspector.inspect(dir.resolve("linked")))
        .isInstanceOf(RepositoryStateException.class)
        .hasMessageContaining("is a linked worktree (git worktree add)");
  }

  @Test
  void submodulesAreRefusedNamingThemAndWhetherTheyAreInitialised() throws Exception {
    Path sub = Git.repo(dir.resolve("sub"));
    Path repo = Git.repo(dir.resolve("super"));
    git(
        repo,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "-q",
        "add",
        sub.toString(),
        "libs/one");
    git(repo, "-c", "protocol.file.allow=always", "submodule", "-q", "add", sub.toString(), "two");
    git(repo, "commit", "-q", "-m", "subs");
    git(repo, "submodule", "-q", "deinit", "two");

    assertThatThrownBy(() -> inspector.inspect(repo))
        .isInstanceOf(RepositoryStateException.class)
        .hasMessageContaining("has submodules")
        .hasMessageContaining("initialised: 'libs/one'")
        .hasMessageContaining("uninitialised: 'two'");
  }

  @Test
  void unmergedPathsAreRefused() throws Exception {
    Path repo = Git.repo(dir.resolve("r"));
    git(repo, "checkout", "-q", "-b", "other");
    Files.writeString(repo.resolve("a.txt"), "other\n");
    git(repo, "commit", "-q", "-am", "other");
    git(repo, "checkout", "-q", "main");
    Files.writeString(repo.resolve("a.txt"), "main\n");
    git(repo, "commit", "-q", "-am", "main");
    Git.run(repo, java.util.List.of("git", "merge", "-q", "other"), new byte[0]);

    assertThatThrownBy(() -> inspector.inspect(repo))
        .isInstanceOf(RepositoryStateException.class)
        .hasMessageContaining("has unmerged paths")
        .hasMessageContaining("'a.txt'");
  }

  @Test
  void inspectingChangesNothingInTheRepository() throws Exception {
    Path repo = Git.repo(dir.resolve("r"));
    Files.writeString(repo.resolve("a.txt"), "changed\n");
    Files.writeString(repo.resolve("new.txt"), "new\n");
    var before = Git.snapshot(repo);

    inspector.inspect(repo);

    assertThat(Git.snapshot(repo)).isEqualTo(before);
  }
}
