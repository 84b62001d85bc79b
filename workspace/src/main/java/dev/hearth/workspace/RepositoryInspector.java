package dev.hearth.workspace;

import dev.hearth.core.CommandResult;
import dev.hearth.core.Printable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the repository a path lies in and refuses what a workspace cannot carry, each with a
 * message naming the repository and what to do: no git work tree, no commits, a detached HEAD, a
 * shallow clone, a linked worktree ({@code git worktree add}), submodules (named), unmerged paths.
 * Only reads: no command here writes to the repository or its index.
 */
public final class RepositoryInspector {
  private final HostGit git;

  public RepositoryInspector(HostGit git) {
    this.git = git;
  }

  /**
   * @param path the repository's top or any folder inside its work tree
   * @throws RepositoryStateException for every state named above
   * @throws HostGitException when git itself fails
   */
  public HostRepository inspect(Path path) throws InterruptedException {
    Path dir = path.toAbsolutePath().normalize();
    if (!Files.isDirectory(dir)) {
      throw new RepositoryStateException("'" + show(dir) + "' is not a folder");
    }
    CommandResult where =
        git.run(
            dir,
            Map.of(),
            List.of(
                "rev-parse",
                "--show-toplevel",
                "--absolute-git-dir",
                "--git-common-dir",
                "--is-shallow-repository"));
    if (!where.ok()) {
      throw new RepositoryStateException(
          "'" + show(dir) + "' is not inside a git work tree: " + Printable.of(firstLine(where)));
    }
    List<String> lines = HostRepository.lines(strip(where.stdout()));
    if (lines.size() != 4 || lines.get(0).isEmpty()) {
      throw new RepositoryStateException(
          "'" + show(dir) + "' is not inside a git work tree (a bare repository or a .git folder)");
    }
    Path top = Path.of(lines.get(0));
    Path gitDir = Path.of(lines.get(1));
    Path common = dir.resolve(lines.get(2)).normalize();
    String where0 = "the repository at '" + show(top) + "'";
    if (!sameFile(gitDir, common)) {
      throw new RepositoryStateException(
          where0
              + " is a linked worktree (git worktree add) of '"
              + show(common)
              + "'; import the main work tree, or clone the branch into a folder of its own");
    }
    if (lines.get(3).equals("true")) {
      throw new RepositoryStateException(
          where0
              + " is a shallow clone; its history cannot be bundled. Run 'git fetch --unshallow'"
              + " first");
    }
    CommandResult symbolic = git.run(top, Map.of(), List.of("symbolic-ref", "-q", "HEAD"));
    if (symbolic.exitCode() == 1) {
      throw new RepositoryStateException(
          where0
              + " has a detached HEAD; check out a branch first (git switch -c NAME keeps the"
              + " commit)");
    }
    if (!symbolic.ok()) {
      throw HostGit.failure(symbolic, top);
    }
    String ref = strip(symbolic.stdout());
    if (!ref.startsWith("refs/heads/")) {
      throw new RepositoryStateException(
          where0 + "'s HEAD points at '" + Printable.of(ref) + "', which is not a branch");
    }
    String branch = ref.substring("refs/heads/".length());
    CommandResult head =
        git.run(top, Map.of(), List.of("rev-parse", "-q", "--verify", "HEAD^{commit}"));
    if (!head.ok()) {
      throw new RepositoryStateException(
          where0 + " has no commits yet on branch '" + Printable.of(branch) + "'; commit first");
    }
    checkIndex(top, where0);
    String name = top.getFileName() == null ? "workspace" : top.getFileName().toString();
    return new HostRepository(top, gitDir, name, branch, strip(head.stdout()));
  }

  /**
   * The commit {@code branch} has now in the work tree at {@code top}; empty when the branch or the
   * repository is gone.
   */
  public Optional<String> branchHead(Path top, String branch) throws InterruptedException {
    if (!Files.isDirectory(top)) {
      return Optional.empty();
    }
    CommandResult r =
        git.run(
            top,
            Map.of(),
            List.of("rev-parse", "-q", "--verify", "refs/heads/" + branch + "^{commit}"));
    return r.ok() ? Optional.of(strip(r.stdout())) : Optional.empty();
  }

  /** Refuses gitlinks (submodules) and unmerged entries, naming them. */
  private void checkIndex(Path top, String where) throws InterruptedException {
    String staged = git.check(top, Map.of(), List.of("ls-files", "-s", "-z"));
    List<String> initialised = new ArrayList<>();
    List<String> uninitialised = new ArrayList<>();
    List<String> unmerged = new ArrayList<>();
    for (String entry : staged.split("\0")) {
      if (entry.isEmpty()) {
        continue;
      }
      // "<mode> <object> <stage>\t<path>"
      int tab = entry.indexOf('\t');
      String[] fields = entry.substring(0, tab).split(" ");
      String file = entry.substring(tab + 1);
      if (!fields[2].equals("0")) {
        if (!unmerged.contains(file)) {
          unmerged.add(file);
        }
      } else if (fields[0].equals("160000")) {
        (Files.exists(top.resolve(file).resolve(".git")) ? initialised : uninitialised).add(file);
      }
    }
    if (!unmerged.isEmpty()) {
      throw new RepositoryStateException(
          where
              + " has unmerged paths (a merge or rebase in progress): "
              + names(unmerged)
              + "; resolve them first");
    }
    if (!initialised.isEmpty() || !uninitialised.isEmpty()) {
      List<String> parts = new ArrayList<>();
      if (!initialised.isEmpty()) {
        parts.add("initialised: " + names(initialised));
      }
      if (!uninitialised.isEmpty()) {
        parts.add("uninitialised: " + names(uninitialised));
      }
      throw new RepositoryStateException(
          where
              + " has submodules, which workspaces do not bring along ("
              + String.join("; ", parts)
              + ")");
    }
  }

  private static String names(List<String> files) {
    List<String> shown = new ArrayList<>();
    for (String f : files.subList(0, Math.min(files.size(), 10))) {
      shown.add("'" + Printable.of(f) + "'");
    }
    return String.join(", ", shown)
        + (files.size() > 10 ? " and " + (files.size() - 10) + " more" : "");
  }

  private static boolean sameFile(Path a, Path b) {
    try {
      return Files.isSameFile(a, b);
    } catch (IOException e) {
      return a.equals(b);
    }
  }

  private static String firstLine(CommandResult result) {
    String err = result.stderr().strip();
    int nl = err.indexOf('\n');
    return nl < 0 ? err : err.substring(0, nl);
  }

  static String strip(String out) {
    return out.endsWith("\n") ? out.substring(0, out.length() - 1) : out;
  }

  static String show(Path path) {
    return Printable.of(path.toString());
  }
}
