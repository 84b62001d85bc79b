package dev.hearth.workspace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One git bundle holding what a workspace import brings: the branch (or every local branch), and
 * two commits made only for the copy, {@value #STAGED_REF} (the index as a tree, parent HEAD) and
 * {@value #WORK_REF} (the work tree with untracked files that are not ignored, parent the staged
 * one). The guest's import script checks out the work tree commit, reads the staged tree into the
 * index and drops both refs. Closing deletes the temporary folder.
 *
 * @param bundle the bundle file, in a temporary folder of its own
 * @param branches the full refs of the bundled branches
 */
public record PreparedImport(
    HostRepository repository, Path bundle, List<String> branches, String staged, String work)
    implements AutoCloseable {
  public static final String STAGED_REF = "refs/hearth/staged";
  public static final String WORK_REF = "refs/hearth/work";

  public PreparedImport {
    Objects.requireNonNull(repository, "repository");
    Objects.requireNonNull(bundle, "bundle");
    branches = List.copyOf(branches);
    Objects.requireNonNull(staged, "staged");
    Objects.requireNonNull(work, "work");
  }

  /** The bundle's size in bytes. */
  public long size() {
    try {
      return Files.size(bundle);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    TempFolders.delete(bundle.getParent());
  }
}
