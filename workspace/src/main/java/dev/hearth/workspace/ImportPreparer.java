package dev.hearth.workspace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes a {@link PreparedImport} without writing to the host repository: every object made (the
 * trees of the index and of the work tree, the blobs of changed files, the two commits) goes to a
 * temporary bare repository's object folder ({@code GIT_OBJECT_DIRECTORY}) with the host's objects
 * out of sight meanwhile, since git "freshens" (touches) an object it would write when it finds it
 * already stored; the index is read from a copy ({@code GIT_INDEX_FILE}); the bundle is then
 * written from the temporary repository, which borrows the host's objects for reading through
 * {@code objects/info/alternates}.
 */
public final class ImportPreparer {
  /** Author and committer of the two commits made for the copy (dropped in the guest). */
  private static final String IDENTITY = "hearth <hearth@localhost> 0 +0000";

  private final HostGit git;

  public ImportPreparer(HostGit git) {
    this.git = git;
  }

  /**
   * @param allBranches every local branch instead of the checked-out one only
   * @param temp a folder for the temporary repository and the bundle (a new folder is made in it)
   */
  public PreparedImport prepare(HostRepository repo, boolean allBranches, Path temp)
      throws InterruptedException {
    Path dir = TempFolders.make(temp, "hearth-import-");
    boolean done = false;
    Path bundle = dir.resolve("import.bundle");
    try {
      Path scratch = dir.resolve("scratch.git");
      git.check(dir, Map.of(), List.of("init", "-q", "--bare", "--template=", scratch.toString()));

      Map<String, String> env = new HashMap<>();
      env.put("GIT_DIR", repo.gitDir().toString());
      env.put("GIT_WORK_TREE", repo.top().toString());
      env.put("GIT_OBJECT_DIRECTORY", scratch.resolve("objects").toString());

      Path stagedIndex = dir.resolve("index.staged");
      Path hostIndex = repo.gitDir().resolve("index");
      if (Files.exists(hostIndex)) {
        Files.copy(hostIndex, stagedIndex, StandardCopyOption.COPY_ATTRIBUTES);
      }
      env.put("GIT_INDEX_FILE", stagedIndex.toString());
      if (!Files.exists(hostIndex)) {
        git.check(repo.top(), env, List.of("read-tree", repo.head()));
      }
      String stagedTree = git.check(repo.top(), env, List.of("write-tree", "--missing-ok"));

      Path workIndex = dir.resolve("index.work");
      Files.copy(stagedIndex, workIndex);
      env.put("GIT_INDEX_FILE", workIndex.toString());
      git.check(repo.top(), env, List.of("add", "-A", "--", ":/"));
      String workTree = git.check(repo.top(), env, List.of("write-tree", "--missing-ok"));
      String staged = commit(repo.top(), env, stagedTree, repo.head(), "hearth: staged");
      String work = commit(repo.top(), env, workTree, staged, "hearth: work tree");

      // Only now may the temporary repository see the host's objects (for reading).
      Path alternates = scratch.resolve("objects/info/alternates");
      Files.createDirectories(alternates.getParent());
      Files.writeString(alternates, repo.objects().toAbsolutePath() + "\n");
      Map<String, String> scratchEnv = Map.of("GIT_DIR", scratch.toString());
      List<String> branches = new ArrayList<>();
      if (allBranches) {
        String refs =
            git.check(
                repo.top(),
                Map.of(),
                List.of("for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/"));
        for (String line : HostRepository.lines(refs)) {
          int space = line.indexOf(' ');
          update(scratch, scratchEnv, line.substring(space + 1), line.substring(0, space));
          branches.add(line.substring(space + 1));
        }
      } else {
        update(scratch, scratchEnv, repo.branchRef(), repo.head());
        branches.add(repo.branchRef());
      }
      update(scratch, scratchEnv, PreparedImport.STAGED_REF, staged);
      update(scratch, scratchEnv, PreparedImport.WORK_REF, work);
      List<String> bundleArgs = new ArrayList<>(List.of("bundle", "create", "-q"));
      bundleArgs.add(bundle.toString());
      bundleArgs.addAll(branches);
      bundleArgs.add(PreparedImport.STAGED_REF);
      bundleArgs.add(PreparedImport.WORK_REF);
      git.check(dir, scratchEnv, bundleArgs);
      PreparedImport prepared = new PreparedImport(repo, bundle, branches, staged, work);
      done = true;
      return prepared;
    } catch (IOException e) {
      throw new UncheckedIOException("preparing the import in " + dir + " failed", e);
    } finally {
      if (!done) {
        TempFolders.delete(dir);
      }
    }
  }

  /** A commit object written by hand: commit-tree would read (and so need) the parent. */
  private String commit(Path top, Map<String, String> env, String tree, String parent, String msg)
      throws InterruptedException {
    String text =
        "tree "
            + tree
            + "\nparent "
            + parent
            + "\nauthor "
            + IDENTITY
            + "\ncommitter "
            + IDENTITY
            + "\n\n"
            + msg
            + "\n";
    return git.check(
        top,
        env,
        List.of("hash-object", "-t", "commit", "-w", "--stdin"),
        text.getBytes(StandardCharsets.UTF_8));
  }

  private void update(Path scratch, Map<String, String> env, String ref, String commit)
      throws InterruptedException {
    git.check(scratch, env, List.of("update-ref", "--no-deref", ref, commit));
  }
}
