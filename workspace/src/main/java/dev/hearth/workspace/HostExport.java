package dev.hearth.workspace;

import dev.hearth.core.CommandResult;
import dev.hearth.core.Printable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Brings a guest's export bundle into the host repository as one branch, run as the repository's
 * user. The bundle is hostile input: its header is read by {@link BundleHeader} first; then it is
 * verified and unpacked into a temporary bare repository that borrows the host's objects (so the
 * host's prerequisites are there), and the one ref is fetched from there with {@code
 * transfer.fsckObjects} on, fast-forward only unless forced. The fetch writes the new objects and
 * that one branch: never HEAD, the index, the work tree, config, hooks or {@code FETCH_HEAD}; the
 * checked-out branch is refused.
 */
public final class HostExport {
  private final HostGit git;

  public HostExport(HostGit git) {
    this.git = git;
  }

  /**
   * @param top the host work tree's top folder
   * @param branch the branch to write, without {@code refs/heads/}
   * @param bundle the guest's bundle
   * @param temp a folder for the temporary repository
   * @throws BundleRejectedException when the bundle is refused, or the update would not
   *     fast-forward without {@code force}
   * @throws RepositoryStateException when the branch name is not valid or it is checked out
   */
  public ExportResult fetch(Path top, String branch, Path bundle, boolean force, Path temp)
      throws InterruptedException {
    String ref = "refs/heads/" + branch;
    if (!git.run(top, Map.of(), List.of("check-ref-format", ref)).ok() || branch.startsWith("-")) {
      throw new RepositoryStateException(
          "'" + Printable.of(branch) + "' is not a valid branch name");
    }
    CommandResult headRef = git.run(top, Map.of(), List.of("symbolic-ref", "-q", "HEAD"));
    if (headRef.ok() && RepositoryInspector.strip(headRef.stdout()).equals(ref)) {
      throw new RepositoryStateException(
          "branch '"
              + Printable.of(branch)
              + "' is checked out in '"
              + RepositoryInspector.show(top)
              + "'; export to another branch (--branch)");
    }
    BundleHeader header = BundleHeader.read(bundle);
    CommandResult before = git.run(top, Map.of(), List.of("rev-parse", "-q", "--verify", ref));
    Optional<String> previous =
        before.ok() ? Optional.of(RepositoryInspector.strip(before.stdout())) : Optional.empty();
    String objects = git.check(top, "rev-parse", "--path-format=absolute", "--git-common-dir");
    Path dir = TempFolders.make(temp, "hearth-export-");
    try {
      Path scratch = dir.resolve("scratch.git");
      git.check(dir, Map.of(), List.of("init", "-q", "--bare", "--template=", scratch.toString()));
      Path alternates = scratch.resolve("objects/info/alternates");
      Files.createDirectories(alternates.getParent());
      Files.writeString(alternates, Path.of(objects).resolve("objects") + "\n");
      Map<String, String> env = Map.of("GIT_DIR", scratch.toString());
      CommandResult verify =
          git.run(dir, env, List.of("bundle", "verify", "-q", bundle.toString()));
      if (!verify.ok()) {
        throw BundleHeader.rejected("git bundle verify: " + Printable.of(verify.stderr().strip()));
      }
      CommandResult unbundle =
          git.run(
              dir,
              env,
              List.of("-c", "transfer.fsckObjects=true", "bundle", "unbundle", bundle.toString()));
      if (!unbundle.ok()) {
        throw BundleHeader.rejected(
            "git bundle unbundle: " + Printable.of(unbundle.stderr().strip()));
      }
      git.check(dir, env, List.of("update-ref", WorkspaceScripts.EXPORT_REF, header.tip()));
      CommandResult fetch =
          git.run(
              top,
              Map.of(),
              List.of(
                  "-c",
                  "transfer.fsckObjects=true",
                  "-c",
                  "fetch.fsckObjects=true",
                  "-c",
                  "core.hooksPath=/dev/null",
                  "fetch",
                  "--no-tags",
                  "--no-write-fetch-head",
                  "--no-recurse-submodules",
                  "--no-auto-gc",
                  scratch.toString(),
                  (force ? "+" : "") + WorkspaceScripts.EXPORT_REF + ":" + ref));
      if (!fetch.ok()) {
        String raw = fetch.stderr().strip();
        String err = Printable.of(raw.substring(raw.lastIndexOf('\n') + 1));
        if (raw.contains("non-fast-forward") || raw.contains("[rejected]")) {
          throw new BundleRejectedException(
              "the export would not fast-forward branch '"
                  + Printable.of(branch)
                  + "' (the guest's history differs from it); --force replaces it: "
                  + err);
        }
        throw BundleHeader.rejected("git fetch: " + err);
      }
      String tip = git.check(top, "rev-parse", "--verify", ref);
      List<String> countArgs = new ArrayList<>(List.of("rev-list", "--count", tip));
      previous.ifPresentOrElse(
          p -> countArgs.add("^" + p),
          () -> header.prerequisites().forEach(p -> countArgs.add("^" + p)));
      int commits = Integer.parseInt(git.check(top, Map.of(), countArgs).strip());
      return new ExportResult(ref, previous, tip, commits);
    } catch (IOException e) {
      throw new UncheckedIOException("the export's temporary repository in " + dir + " failed", e);
    } finally {
      TempFolders.delete(dir);
    }
  }
}
