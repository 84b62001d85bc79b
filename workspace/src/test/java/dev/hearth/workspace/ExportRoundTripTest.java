package dev.hearth.workspace;

import static dev.hearth.workspace.Git.git;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.RequiresBinary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Import into a local "guest" folder, work there, run the export script, and bring its bundle in
 * with HostExport: the host gains one branch and objects, nothing else; hostile bundles are refused
 * and change nothing.
 */
@RequiresBinary("git")
class ExportRoundTripTest {
  @TempDir Path dir;
  private final HostGit hostGit = HostGit.system();
  private final HostExport export = new HostExport(hostGit);
  private Path host;
  private Path guest;
  private String base;

  @BeforeEach
  void importIt() throws Exception {
    host = Git.repo(dir.resolve("host"));
    Files.writeString(host.resolve("dirty.txt"), "host's own uncommitted file\n");
    HostRepository repo = new RepositoryInspector(hostGit).inspect(host);
    base = repo.head();
    guest = dir.resolve("guest/ws");
    try (PreparedImport prepared = new ImportPreparer(hostGit).prepare(repo, false, dir)) {
      Git.Result r =
          LocalScripts.run(
              dir,
              WorkspaceScripts.importTo(guest.toString(), repo.branch()),
              Files.readAllBytes(prepared.bundle()));
      assertThat(r.exit()).as(r.err()).isZero();
    }
  }

  private Path exportBundle(boolean includeUncommitted) throws Exception {
    Git.Result r =
        LocalScripts.run(
            dir, WorkspaceScripts.export(guest.toString(), base, includeUncommitted), new byte[0]);
    assertThat(r.exit()).as(r.err()).isZero();
    Path bundle = Files.createTempFile(dir, "export", ".bundle");
    Files.write(bundle, r.stdout());
    return bundle;
  }

  private Map<String, String> hostOutsideRefsAndObjects() throws Exception {
    Map<String, String> all = Git.snapshot(host);
    all.keySet()
        .removeIf(
            k ->
                k.startsWith(".git/objects")
                    || k.startsWith(".git/refs/heads/hearth")
                    || k.equals(".git/refs/heads")
                    || k.equals(".git/refs")
                    || k.equals(".git")
                    || k.equals(".git/logs")
                    || k.startsWith(".git/logs/refs"));
    return all;
  }

  @Test
  void theGuestsCommitsArriveAsOneBranchAndNothingElseReachesTheHost() throws Exception {
    Files.writeString(guest.resolve("work.txt"), "done in the guest\n");
    git(guest, "add", "work.txt");
    git(guest, "commit", "-q", "-m", "guest work");
    Files.createDirectories(guest.resolve(".git/hooks"));
    Files.writeString(guest.resolve(".git/hooks/post-checkout"), "#!/bin/sh\ntouch /tmp/pwned\n");
    git(guest, "config", "core.hooksPath", "/tmp/evil-hooks");
    git(guest, "config", "user.name", "evil");
    Map<String, String> before = hostOutsideRefsAndObjects();
    String hostConfig = Files.readString(host.resolve(".git/config"));

    ExportResult result = export.fetch(host, "hearth/demo/ws", exportBundle(false), false, dir);

    assertThat(result.branch()).isEqualTo("refs/heads/hearth/demo/ws");
    assertThat(result.previous()).isEmpty();
    assertThat(result.tip()).isEqualTo(git(guest, "rev-parse", "HEAD").strip());
    assertThat(result.commits()).isEqualTo(1);
    assertThat(git(host, "log", "--format=%s", "hearth/demo/ws")).isEqualTo("guest work\nfirst\n");
    assertThat(Git.changes(before, hostOutsideRefsAndObjects())).isEmpty();
    assertThat(host.resolve(".git/config")).hasContent(hostConfig.strip());
    assertThat(host.resolve(".git/hooks/post-checkout")).doesNotExist();
    assertThat(host.resolve(".git/FETCH_HEAD")).doesNotExist();
    assertThat(git(host, "symbolic-ref", "HEAD")).isEqualTo("refs/heads/main\n");
  }

  @Test
  void uncommittedGuestChangesBecomeOneCommitAndTheGuestStaysAsItWas() throws Exception {
    Files.writeString(guest.resolve("a.txt"), "edited\n");
    Files.writeString(guest.resolve("new.txt"), "new\n");
    String guestStatus = git(guest, "status", "--porcelain");
    String guestHead = git(guest, "rev-parse", "HEAD");

    ExportResult result = export.fetch(host, "out", exportBundle(true), false, dir);

    assertThat(result.commits()).isEqualTo(1);
    assertThat(git(host, "show", "out:a.txt")).isEqualTo("edited\n");
    assertThat(git(host, "show", "out:new.txt")).isEqualTo("new\n");
    assertThat(git(host, "show", "out:dirty.txt", "--")).isNotEmpty();
    assertThat(git(guest, "status", "--porcelain")).isEqualTo(guestStatus);
    assertThat(git(guest, "rev-parse", "HEAD")).isEqualTo(guestHead);
    assertThat(git(guest, "for-each-ref", "refs/hearth")).isEmpty();
  }

  @Test
  void aSecondExportFastForwardsAndARewrittenHistoryNeedsForce() throws Exception {
    git(guest, "commit", "-q", "--allow-empty", "-m", "one");
    export.fetch(host, "out", exportBundle(false), false, dir);
    git(guest, "commit", "-q", "--allow-empty", "-m", "two");
    ExportResult second = export.fetch(host, "out", exportBundle(false), false, dir);
    assertThat(second.previous()).isPresent();
    assertThat(second.commits()).isEqualTo(1);

    git(guest, "reset", "-q", "--hard", base);
    git(guest, "commit", "-q", "--allow-empty", "-m", "rewritten");
    Path rewritten = exportBundle(false);
    String tipBefore = git(host, "rev-parse", "out");
    assertThatThrownBy(() -> export.fetch(host, "out", rewritten, false, dir))
        .isInstanceOf(BundleRejectedException.class)
        .hasMessageContaining("would not fast-forward branch 'out'");
    assertThat(git(host, "rev-parse", "out")).isEqualTo(tipBefore);

    ExportResult forced = export.fetch(host, "out", rewritten, true, dir);
    assertThat(git(host, "log", "-1", "--format=%s", "out")).isEqualTo("rewritten\n");
    assertThat(forced.tip()).isEqualTo(git(guest, "rev-parse", "HEAD").strip());
  }

  @Test
  void nothingToExportIsAClearError() throws Exception {
    Git.Result r =
        LocalScripts.run(dir, WorkspaceScripts.export(guest.toString(), base, false), new byte[0]);
    assertThat(WorkspaceScripts.failure("export", "ws", "demo", r.exit(), r.err()).kind())
        .isEqualTo(WorkspaceScriptException.Kind.NOTHING);
  }

  @Test
  void theCheckedOutBranchAndBadNamesAreRefused() throws Exception {
    git(guest, "commit", "-q", "--allow-empty", "-m", "one");
    Path bundle = exportBundle(false);
    assertThatThrownBy(() -> export.fetch(host, "main", bundle, false, dir))
        .isInstanceOf(RepositoryStateException.class)
        .hasMessageContaining("is checked out");
    assertThatThrownBy(() -> export.fetch(host, "bad..name", bundle, false, dir))
        .isInstanceOf(RepositoryStateException.class)
        .hasMessageContaining("is not a valid branch name");
  }

  @Test
  void aBundleWithAnotherRefOrMoreRefsIsRefusedBeforeGitSeesIt() throws Exception {
    git(guest, "commit", "-q", "--allow-empty", "-m", "one");
    git(guest, "branch", "extra");
    Path two = dir.resolve("two.bundle");
    git(guest, "bundle", "create", "-q", two.toString(), "refs/heads/main", "refs/heads/extra");
    Map<String, String> before = Git.snapshot(host);

    assertThatThrownBy(() -> export.fetch(host, "out", two, false, dir))
        .isInstanceOf(BundleRejectedException.class)
        .hasMessageContaining("it carries the ref 'refs/heads/main'");
    Path garbage =
        Files.write(
            dir.resolve("garbage"),
            "# v2 git bundle\nnot a ref\n\n".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> export.fetch(host, "out", garbage, false, dir))
        .isInstanceOf(BundleRejectedException.class)
        .hasMessageContaining("neither a prerequisite nor a ref");
    Path noEnd = Files.write(dir.resolve("noend"), new byte[100_000]);
    assertThatThrownBy(() -> export.fetch(host, "out", noEnd, false, dir))
        .isInstanceOf(BundleRejectedException.class)
        .hasMessageContaining("does not end within 64 KiB");
    assertThat(Git.changes(before, Git.snapshot(host))).isEmpty();
  }

  @Test
  void objectsThatFailGitsChecksAreRefused() throws Exception {
    // A tree holding a ".git" entry: fsck's hasDotgit, which would plant a repository on checkout.
    String blob =
        Git.run(
                guest,
                List.of("git", "hash-object", "-w", "--stdin"),
                "x".getBytes(StandardCharsets.UTF_8))
            .out()
            .strip();
    String tree =
        Git.run(
                guest,
                List.of("git", "mktree"),
                ("100644 blob " + blob + "\t.git\n").getBytes(StandardCharsets.UTF_8))
            .out()
            .strip();
    String commit = git(guest, "commit-tree", tree, "-p", base, "-m", "evil").strip();
    git(guest, "update-ref", WorkspaceScripts.EXPORT_REF, commit);
    Path evil = dir.resolve("evil.bundle");
    git(guest, "bundle", "create", "-q", evil.toString(), WorkspaceScripts.EXPORT_REF, "^" + base);
    Map<String, String> before = hostOutsideRefsAndObjects();

    assertThatThrownBy(() -> export.fetch(host, "out", evil, false, dir))
        .isInstanceOf(BundleRejectedException.class)
        .hasMessageContaining("git fetch");
    assertThat(Git.changes(before, hostOutsideRefsAndObjects())).isEmpty();
    assertThat(
            Git.run(host, List.of("git", "rev-parse", "-q", "--verify", "out"), new byte[0]).exit())
        .isNotZero();
  }
}
