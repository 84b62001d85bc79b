package dev.hearth.workspace;

import static dev.hearth.workspace.Git.git;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.HostileWords;
import dev.hearth.core.testing.RequiresBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host repository with every kind of uncommitted state, prepared by ImportPreparer and unpacked
 * by the import script run with /bin/sh (the guest): the copy shows the same status, the same
 * staged and unstaged diffs, the same files, modes and symlinks, no ignored files; the host
 * repository is unchanged, byte for byte and mtime for mtime.
 */
@RequiresBinary("git")
class ImportRoundTripTest {
  @TempDir Path dir;
  private final HostGit hostGit = HostGit.system();

  /** File names that break naive quoting, made into valid file names. */
  static List<String> hostileFileNames() {
    List<String> names = new ArrayList<>();
    for (String w : HostileWords.ALL) {
      String n = w.replace('/', '_');
      if (!n.isEmpty() && !n.equals(".") && !n.equals("..") && !n.equals("\n")) {
        names.add(n);
      }
    }
    names.add("--leading dashes");
    return names;
  }

  @Test
  void everyKindOfUncommittedStateArrivesExactlyAndTheHostIsNotTouched() throws Exception {
    Path host = Git.repo(dir.resolve("host repo"));
    Files.writeString(host.resolve(".gitignore"), "*.log\nbuild/\n");
    Files.writeString(host.resolve("staged-mod.txt"), "one\n");
    Files.writeString(host.resolve("unstaged-mod.txt"), "one\n");
    Files.writeString(host.resolve("both.txt"), "one\n");
    Files.writeString(host.resolve("staged-del.txt"), "x\n");
    Files.writeString(host.resolve("unstaged-del.txt"), "x\n");
    Files.writeString(host.resolve("mode.sh"), "#!/bin/sh\n");
    Files.createSymbolicLink(host.resolve("old-link"), Path.of("a.txt"));
    for (String name : hostileFileNames()) {
      Files.writeString(host.resolve(name), "tracked " + name);
    }
    git(host, "add", "-A");
    git(host, "commit", "-q", "-m", "second");
    git(host, "checkout", "-q", "-b", "feature/x");
    // staged
    Files.writeString(host.resolve("staged-mod.txt"), "two\n");
    git(host, "add", "staged-mod.txt");
    Files.writeString(host.resolve("staged-new.txt"), "new\n");
    git(host, "add", "staged-new.txt");
    git(host, "rm", "-q", "staged-del.txt");
    // staged and then changed again
    Files.writeString(host.resolve("both.txt"), "two\n");
    git(host, "add", "both.txt");
    Files.writeString(host.resolve("both.txt"), "three\n");
    // unstaged
    Files.writeString(host.resolve("unstaged-mod.txt"), "two\n");
    Files.delete(host.resolve("unstaged-del.txt"));
    Files.setPosixFilePermissions(
        host.resolve("mode.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.delete(host.resolve("old-link"));
    Files.createSymbolicLink(host.resolve("old-link"), Path.of("staged-mod.txt"));
    Files.createSymbolicLink(host.resolve("new-link"), Path.of("../outside"));
    for (String name : hostileFileNames()) {
      Files.writeString(host.resolve(name), "changed " + name);
      Files.writeString(host.resolve("untracked " + name), "untracked");
    }
    // untracked and ignored
    Files.createDirectories(host.resolve("dir/sub"));
    Files.writeString(host.resolve("dir/sub/untracked.txt"), "u\n");
    Files.writeString(host.resolve("debug.log"), "ignored\n");
    Files.createDirectories(host.resolve("build"));
    Files.writeString(host.resolve("build/out.bin"), "ignored\n");
    Map<String, String> before = Git.snapshot(host);

    HostRepository repo = new RepositoryInspector(hostGit).inspect(host);
    Path guest = dir.resolve("guest root");
    Path dest = guest.resolve("workspace").resolve("--it's \"a\" $(id) é\nname");
    try (PreparedImport prepared = new ImportPreparer(hostGit).prepare(repo, false, dir)) {
      assertThat(prepared.branches()).containsExactly("refs/heads/feature/x");
      Git.Result r =
          LocalScripts.run(
              dir,
              WorkspaceScripts.importTo(dest.toString(), repo.branch()),
              Files.readAllBytes(prepared.bundle()));
      assertThat(r.exit()).as(r.err()).isZero();
    }

    assertThat(Git.changes(before, Git.snapshot(host))).isEmpty();
    assertThat(git(dest, "status", "--porcelain=v1", "-z", "--untracked-files=all"))
        .isEqualTo(git(host, "status", "--porcelain=v1", "-z", "--untracked-files=all"))
        .contains("M  staged-mod.txt")
        .contains("MM both.txt")
        .contains(" D unstaged-del.txt")
        .contains("D  staged-del.txt")
        .contains("?? dir/sub/untracked.txt");
    assertThat(git(dest, "diff", "--cached")).isEqualTo(git(host, "diff", "--cached"));
    assertThat(git(dest, "diff")).isEqualTo(git(host, "diff"));
    assertThat(git(dest, "symbolic-ref", "HEAD")).isEqualTo("refs/heads/feature/x\n");
    assertThat(git(dest, "rev-parse", "HEAD")).isEqualTo(git(host, "rev-parse", "HEAD"));
    assertThat(git(dest, "log", "--format=%H")).isEqualTo(git(host, "log", "--format=%H"));
    assertThat(git(dest, "for-each-ref", "--format=%(refname)"))
        .isEqualTo("refs/heads/feature/x\n");
    assertThat(dest.resolve("debug.log")).doesNotExist();
    assertThat(dest.resolve("build")).doesNotExist();
    assertThat(Files.isExecutable(dest.resolve("mode.sh"))).isTrue();
    assertThat(Files.readSymbolicLink(dest.resolve("new-link"))).isEqualTo(Path.of("../outside"));
    assertThat(Files.readSymbolicLink(dest.resolve("old-link")))
        .isEqualTo(Path.of("staged-mod.txt"));
    assertThat(dest.resolve("both.txt")).hasContent("three");
    for (String name : hostileFileNames()) {
      assertThat(dest.resolve(name)).hasContent("changed " + name);
      assertThat(dest.resolve("untracked " + name)).hasContent("untracked");
    }
    assertThat(guest.resolve("workspace")).isDirectoryNotContaining("glob:**/.hearth-import*");
  }

  @Test
  void allBranchesBringsEveryLocalBranch() throws Exception {
    Path host = Git.repo(dir.resolve("host"));
    git(host, "branch", "one");
    git(host, "branch", "two/deep");
    HostRepository repo = new RepositoryInspector(hostGit).inspect(host);
    Path dest = dir.resolve("guest/ws");
    try (PreparedImport prepared = new ImportPreparer(hostGit).prepare(repo, true, dir)) {
      Git.Result r =
          LocalScripts.run(
              dir,
              WorkspaceScripts.importTo(dest.toString(), repo.branch()),
              Files.readAllBytes(prepared.bundle()));
      assertThat(r.exit()).as(r.err()).isZero();
    }
    assertThat(git(dest, "for-each-ref", "--format=%(refname)"))
        .isEqualTo("refs/heads/main\nrefs/heads/one\nrefs/heads/two/deep\n");
    assertThat(git(dest, "status", "--porcelain")).isEmpty();
  }

  @Test
  void anExistingDestinationIsRefusedAndLeftAlone() throws Exception {
    Path host = Git.repo(dir.resolve("host"));
    HostRepository repo = new RepositoryInspector(hostGit).inspect(host);
    Path dest = Files.createDirectories(dir.resolve("guest/ws"));
    Files.writeString(dest.resolve("mine"), "keep");
    try (PreparedImport prepared = new ImportPreparer(hostGit).prepare(repo, false, dir)) {
      Git.Result r =
          LocalScripts.run(
              dir,
              WorkspaceScripts.importTo(dest.toString(), repo.branch()),
              Files.readAllBytes(prepared.bundle()));
      assertThat(r.exit()).isEqualTo(1);
      WorkspaceScriptException e =
          WorkspaceScripts.failure("import", "ws", "demo", r.exit(), r.err());
      assertThat(e.kind()).isEqualTo(WorkspaceScriptException.Kind.EXISTS);
      assertThat(e)
          .hasMessage(
              "workspace import of 'ws' in VM demo failed: the guest already has a file or folder"
                  + " at that path");
    }
    assertThat(dest.resolve("mine")).hasContent("keep");
  }

  /**
   * Whatever is not a whole bundle of the import fails the guest's fetch, and nothing is left in
   * the guest: no destination, no temporary folder beside it.
   */
  @Test
  void anInputThatIsNotAWholeBundleFailsTheFetchAndLeavesNothing() throws Exception {
    Path host = Git.repo(dir.resolve("host"));
    HostRepository repo = new RepositoryInspector(hostGit).inspect(host);
    byte[] bundle;
    try (PreparedImport prepared = new ImportPreparer(hostGit).prepare(repo, false, dir)) {
      bundle = Files.readAllBytes(prepared.bundle());
    }
    String text = new String(bundle, ISO_8859_1);
    int headerEnd = text.indexOf("\n\n") + 2;
    String header = text.substring(0, headerEnd);
    String pack = text.substring(headerEnd);
    String oid = header.lines().skip(1).findFirst().orElseThrow().split(" ")[0];
    Map<String, byte[]> cases = new LinkedHashMap<>();
    cases.put("nothing", new byte[0]);
    cases.put("not a bundle", "hello\n\n".getBytes(ISO_8859_1));
    cases.put("a header cut short", header.substring(0, header.length() - 1).getBytes(ISO_8859_1));
    cases.put("a pack cut in half", Arrays.copyOf(bundle, headerEnd + pack.length() / 2));
    cases.put(
        "a prerequisite it lacks",
        (header.replace("\n\n", "\n-" + "1".repeat(40) + " missing\n\n") + pack)
            .getBytes(ISO_8859_1));
    cases.put(
        "a branch naming an object it lacks",
        (header.replace("\n\n", "\n" + "1".repeat(40) + " refs/heads/ghost\n\n") + pack)
            .getBytes(ISO_8859_1));
    assertThat(oid).matches("[0-9a-f]{40}");
    Path guest = Files.createDirectories(dir.resolve("guest"));
    for (Map.Entry<String, byte[]> c : cases.entrySet()) {
      Git.Result r =
          LocalScripts.run(
              dir,
              WorkspaceScripts.importTo(guest.resolve("ws").toString(), repo.branch()),
              c.getValue());
      assertThat(r.exit()).as(c.getKey() + ": " + r.err()).isEqualTo(1);
      assertThat(WorkspaceScripts.failure("import", "ws", "demo", r.exit(), r.err()))
          .as(c.getKey())
          .hasMessageStartingWith(
              "workspace import of 'ws' in VM demo failed: the guest script failed at 'fetch'");
      try (Stream<Path> left = Files.list(guest)) {
        assertThat(left).as(c.getKey()).isEmpty();
      }
    }
  }

  @Test
  void theTemporaryFolderIsRemovedWhenClosed() throws Exception {
    Path host = Git.repo(dir.resolve("host"));
    HostRepository repo = new RepositoryInspector(hostGit).inspect(host);
    Path temp = Files.createDirectories(dir.resolve("tmp"));
    PreparedImport prepared = new ImportPreparer(hostGit).prepare(repo, false, temp);
    assertThat(prepared.size()).isPositive();
    prepared.close();
    assertThat(temp).isEmptyDirectory();
  }
}
