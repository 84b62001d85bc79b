package dev.hearth.workspace;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A host repository a workspace can be made from, as {@link RepositoryInspector} found it.
 *
 * @param top the work tree's top folder
 * @param gitDir its {@code .git} folder
 * @param name the default workspace name: the top folder's name
 * @param branch the checked-out branch, without {@code refs/heads/}
 * @param head the commit it points at
 */
public record HostRepository(Path top, Path gitDir, String name, String branch, String head) {
  public HostRepository {
    Objects.requireNonNull(top, "top");
    Objects.requireNonNull(gitDir, "gitDir");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(branch, "branch");
    Objects.requireNonNull(head, "head");
  }

  /** The object folder. */
  Path objects() {
    return gitDir.resolve("objects");
  }

  /** The branch as a full ref. */
  public String branchRef() {
    return "refs/heads/" + branch;
  }

  static List<String> lines(String text) {
    return text.isEmpty() ? List.of() : List.of(text.split("\n", -1));
  }
}
