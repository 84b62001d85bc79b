package dev.hearth.bench;

import dev.hearth.core.TreeDeleter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A workspace's import and export done by hand, with git, tar and ssh: what {@code WorkspaceBench}
 * compares hearth's against.
 */
final class HandMadeWorkspace {
  private final BenchShell shell;
  private final Path repo;
  private final Path scratch;

  /**
   * @param repo the host repository
   * @param scratch where the bundles and archives wait on the host
   */
  HandMadeWorkspace(BenchShell shell, Path repo, Path scratch) {
    this.shell = shell;
    this.repo = repo;
    this.scratch = scratch;
  }

  /**
   * By hand: the branch's bundle, the staged diff and a tar of the changed and untracked files, one
   * tar through ssh; in the guest a clone from the bundle, the staged diff applied to the index,
   * the files untarred over the checkout and the deleted ones removed.
   */
  void importTo(String dest) throws IOException, InterruptedException {
    Path out = Files.createTempDirectory(scratch, "hand-import-");
    String script =
        String.join(
            "\n",
            "set -eo pipefail",
            "cd \"$REPO\"",
            "git bundle create -q \"$OUT/b.bundle\" main",
            "git diff --cached --binary > \"$OUT/staged.patch\"",
            "{ git diff -z --name-only --diff-filter=d HEAD; git ls-files -z -o --exclude-standard; }"
                + " | tar --null -T - -cf \"$OUT/files.tar\"",
            "git diff -z --name-only --diff-filter=D HEAD > \"$OUT/deleted\"",
            "tar -C \"$OUT\" -cf - b.bundle staged.patch files.tar deleted | "
                + shell.sshCommand()
                + " 'set -e; t=$(mktemp -d); tar --warning=no-timestamp -C \"$t\" -xf -;"
                + " git clone -q -b main \"$t/b.bundle\" "
                + dest
                + "; cd "
                + dest
                + "; git apply --cached --whitespace=nowarn \"$t/staged.patch\"; tar --warning=no-timestamp -xf \"$t/files.tar\";"
                + " xargs -0 -r rm -f -- < \"$t/deleted\"; rm -rf \"$t\"'",
            "");
    try {
      BenchShell.bash(script, Map.of("REPO", repo.toString(), "OUT", out.toString()));
    } finally {
      TreeDeleter.delete(out);
    }
  }

  /**
   * By hand: the guest's commits since {@code base} as a bundle through ssh, fetched into the host
   * repository as {@code branch}.
   */
  void exportTo(String dir, String base, String branch) throws IOException, InterruptedException {
    Path out = Files.createTempDirectory(scratch, "hand-export-");
    String script =
        String.join(
            "\n",
            "set -eo pipefail",
            shell.sshCommand()
                + " \"cd $DIR && git bundle create -q - $BASE..main\" > \"$OUT/e.bundle\"",
            "cd \"$REPO\"",
            "git fetch -q \"$OUT/e.bundle\" \"main:refs/heads/$BRANCH\"",
            "");
    try {
      BenchShell.bash(
          script,
          Map.of(
              "REPO",
              repo.toString(),
              "OUT",
              out.toString(),
              "DIR",
              dir,
              "BASE",
              base,
              "BRANCH",
              branch));
    } finally {
      TreeDeleter.delete(out);
    }
  }
}
