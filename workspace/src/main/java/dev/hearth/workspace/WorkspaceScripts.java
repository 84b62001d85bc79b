package dev.hearth.workspace;

import dev.hearth.core.Printable;
import dev.hearth.session.ExecRequest;
import java.util.List;
import java.util.Optional;

/**
 * The guest's side of workspaces: POSIX sh scripts run as {@code sh -c SCRIPT hearth-workspace
 * ARGS...} (every value an argument, never text of the script; {@link ExecRequest} quotes the
 * command line with core's {@code ShellQuote}). A refusal is a {@code hearth-error: WORD} line on
 * stderr and exit status 1, turned into a message by {@link #failure}.
 */
public final class WorkspaceScripts {
  /** Where workspaces live in the guest. */
  public static final String ROOT = "/workspace";

  private static final String PREAMBLE =
      "set -u\n"
          + "fail() { printf 'hearth-error: %s\\n' \"$*\" >&2; exit 1; }\n"
          + "command -v git >/dev/null 2>&1 || fail no-git\n";

  /**
   * stdin: the bundle of a {@link PreparedImport}; {@code $1} the workspace's path (it must not
   * exist), {@code $2} the branch to check out. The repository is made in a temporary folder beside
   * it and renamed into place once complete.
   */
  static final String IMPORT =
      PREAMBLE
          + "dest=$1 branch=$2\n"
          + "if [ -e \"$dest\" ] || [ -L \"$dest\" ]; then fail exists; fi\n"
          + "parent=$(dirname -- \"$dest\") || exit 1\n"
          + "mkdir -p -- \"$parent\" || fail mkdir\n"
          + "tmp=$(mktemp -d \"$parent/.hearth-import.XXXXXX\") || fail mktemp\n"
          + "trap 'rm -rf -- \"$tmp\"' EXIT\n"
          + "cat >\"$tmp/in.bundle\" || fail receive\n"
          + "git init -q --template= \"$tmp/repo\" >/dev/null || fail init\n"
          + "cd \"$tmp/repo\" || exit 1\n"
          + "git symbolic-ref HEAD refs/hearth/unborn || fail init\n"
          + "git fetch -q --no-tags --no-write-fetch-head \"$tmp/in.bundle\""
          + " '+refs/heads/*:refs/heads/*' '+refs/hearth/*:refs/hearth/*' || fail fetch\n"
          + "git symbolic-ref HEAD \"refs/heads/$branch\" || fail branch\n"
          + "git read-tree -u --reset "
          + PreparedImport.WORK_REF
          + " || fail checkout\n"
          + "git read-tree -m "
          + PreparedImport.STAGED_REF
          + " || fail index\n"
          + "git update-index -q --refresh >/dev/null 2>&1\n"
          + "git update-ref -d "
          + PreparedImport.STAGED_REF
          + " && git update-ref -d "
          + PreparedImport.WORK_REF
          + " || fail refs\n"
          + "cd / && mv -- \"$tmp/repo\" \"$dest\" || fail move\n";

  /**
   * {@code $1} the workspace's path, {@code $2} the base commit. stdout, NUL-separated: {@code
   * hearth-status}, the HEAD ref (empty when detached), the HEAD commit, the count of commits since
   * the base, then up to {@value #MAX_COMMITS_LISTED} commits as {@code HASH SUBJECT}, the word
   * {@code hearth-changes}, and {@code git status --porcelain=v1 -z --untracked-files=all}.
   */
  static final String STATUS =
      PREAMBLE
          + "dest=$1 base=$2\n"
          + "cd -- \"$dest\" 2>/dev/null || fail missing\n"
          + "ref=$(git symbolic-ref -q HEAD) || ref=\n"
          + "head=$(git rev-parse -q --verify 'HEAD^{commit}') || head=\n"
          + "count=$(git rev-list --count \"$base..HEAD\" 2>/dev/null) || count=\n"
          + "printf 'hearth-status\\0%s\\0%s\\0%s\\0' \"$ref\" \"$head\" \"$count\"\n"
          + "[ -z \"$count\" ] || git log -n "
          + WorkspaceScripts.MAX_COMMITS_LISTED
          + " --format='tformat:%H %s%x00' \"$base..HEAD\" | tr -d '\\n' || fail log\n"
          + "printf 'hearth-changes\\0'\n"
          + "exec git status --porcelain=v1 -z --untracked-files=all\n";

  /**
   * {@code $1} the workspace's path, {@code $2} the base commit, {@code $3} {@code 1} to add the
   * uncommitted changes as one commit on top of HEAD (made from a copy of the index: the guest's
   * branch and index stay as they were). stdout: a bundle of one ref, {@value #EXPORT_REF}, whose
   * prerequisite is the base.
   */
  static final String EXPORT =
      PREAMBLE
          + "dest=$1 base=$2 include=$3\n"
          + "cd -- \"$dest\" 2>/dev/null || fail missing\n"
          + "head=$(git rev-parse -q --verify 'HEAD^{commit}') || fail no-head\n"
          + "tmp=$(mktemp -d) || fail mktemp\n"
          + "trap 'rm -rf -- \"$tmp\"' EXIT\n"
          + "tip=$head\n"
          + "if [ \"$include\" = 1 ]; then\n"
          + "  gd=$(git rev-parse --git-dir) || fail git-dir\n"
          + "  if [ -f \"$gd/index\" ]; then cp -- \"$gd/index\" \"$tmp/index\" || fail index; fi\n"
          + "  GIT_INDEX_FILE=$tmp/index git add -A -- :/ || fail add\n"
          + "  tree=$(GIT_INDEX_FILE=$tmp/index git write-tree) || fail tree\n"
          + "  if [ \"$tree\" != \"$(git rev-parse 'HEAD^{tree}')\" ]; then\n"
          + "    git var GIT_AUTHOR_IDENT >/dev/null 2>&1 || export GIT_AUTHOR_NAME=hearth"
          + " GIT_AUTHOR_EMAIL=hearth@guest\n"
          + "    git var GIT_COMMITTER_IDENT >/dev/null 2>&1 || export GIT_COMMITTER_NAME=hearth"
          + " GIT_COMMITTER_EMAIL=hearth@guest\n"
          + "    tip=$(git commit-tree \"$tree\" -p \"$head\""
          + " -m 'hearth: uncommitted changes in the guest') || fail commit\n"
          + "  fi\n"
          + "fi\n"
          + "[ \"$tip\" != \"$base\" ] || fail nothing\n"
          + "git update-ref --no-deref "
          + WorkspaceScripts.EXPORT_REF
          + " \"$tip\" || fail ref\n"
          + "git bundle create -q \"$tmp/out.bundle\" "
          + WorkspaceScripts.EXPORT_REF
          + " \"^$base\" >&2\n"
          + "rc=$?\n"
          + "git update-ref -d "
          + WorkspaceScripts.EXPORT_REF
          + "\n"
          + "[ \"$rc\" = 0 ] || fail bundle\n"
          + "exec cat -- \"$tmp/out.bundle\"\n";

  /** The one ref an export bundle holds. */
  public static final String EXPORT_REF = "refs/hearth/export";

  /** Most bytes of an export bundle the host takes from a guest. */
  public static final long MAX_EXPORT_BYTES = 1L << 30;

  /** Most commits since the import that a status lists. */
  public static final int MAX_COMMITS_LISTED = 100;

  private WorkspaceScripts() {}

  /** The import of a {@link PreparedImport}'s bundle (on stdin) to {@code path}. */
  public static ExecRequest importTo(String path, String branch) {
    return request(IMPORT, path, branch);
  }

  /** The status of the workspace at {@code path} imported at {@code base}. */
  public static ExecRequest status(String path, String base) {
    return request(STATUS, path, base);
  }

  /** A bundle of the workspace's commits since {@code base} (see {@link #EXPORT}). */
  public static ExecRequest export(String path, String base, boolean includeUncommitted) {
    return request(EXPORT, path, base, includeUncommitted ? "1" : "0");
  }

  /** The guest path of workspace {@code name} under {@code root} ({@link #ROOT} in VMs). */
  public static String guestPath(String root, String name) {
    WorkspaceNames.check(name);
    return root + "/" + name;
  }

  private static ExecRequest request(String script, String... args) {
    for (String arg : args) {
      if (arg.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("a script argument holds a NUL character");
      }
    }
    List<String> argv = new java.util.ArrayList<>(List.of("sh", "-c", script, "hearth-workspace"));
    argv.addAll(List.of(args));
    return ExecRequest.of(argv);
  }

  /**
   * The error for a script that exited {@code exitCode}: names the step, the workspace, the VM and
   * the cause from the script's last {@code hearth-error:} line, or the exit status and the end of
   * stderr.
   */
  public static WorkspaceScriptException failure(
      String step, String workspace, String vm, int exitCode, String stderr) {
    Optional<String> refusal =
        stderr.lines().filter(l -> l.startsWith("hearth-error: ")).reduce((a, b) -> b);
    String where =
        "workspace "
            + step
            + " of '"
            + Printable.of(workspace)
            + "' in VM "
            + Printable.of(vm)
            + " failed: ";
    String other = otherLines(stderr);
    if (refusal.isEmpty()) {
      return new WorkspaceScriptException(
          WorkspaceScriptException.Kind.OTHER,
          where + "the guest script exited " + exitCode + (other.isEmpty() ? "" : ": " + other));
    }
    String word = refusal.get().substring("hearth-error: ".length()).strip();
    return switch (word) {
      case "no-git" ->
          new WorkspaceScriptException(
              WorkspaceScriptException.Kind.NO_GIT,
              where + "git is not installed in the guest (apt-get install git)");
      case "exists" ->
          new WorkspaceScriptException(
              WorkspaceScriptException.Kind.EXISTS,
              where + "the guest already has a file or folder at that path");
      case "missing" ->
          new WorkspaceScriptException(
              WorkspaceScriptException.Kind.MISSING,
              where + "the workspace's folder is gone from the guest");
      case "nothing" ->
          new WorkspaceScriptException(
              WorkspaceScriptException.Kind.NOTHING,
              where
                  + "there is nothing to export: no commits since the import"
                  + (step.equals("export")
                      ? " (--include-uncommitted adds uncommitted changes)"
                      : ""));
      default ->
          new WorkspaceScriptException(
              WorkspaceScriptException.Kind.OTHER,
              where
                  + "the guest script failed at '"
                  + Printable.of(word)
                  + "'"
                  + (other.isEmpty() ? "" : ": " + other));
    };
  }

  private static String otherLines(String stderr) {
    String text =
        String.join("\n", stderr.lines().filter(l -> !l.startsWith("hearth-error: ")).toList())
            .strip();
    if (text.length() > 400) {
      text = "..." + text.substring(text.length() - 400);
    }
    return Printable.of(text);
  }
}
