package dev.hearth.daemon;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link Workspaces#importRepository} copies.
 *
 * @param path the repository's top or any folder inside its work tree, read with the caller's
 *     rights
 * @param name the workspace's name; the work tree's folder name when empty
 * @param allBranches every local branch, not only the checked-out one
 */
public record WorkspaceImport(String vm, Path path, Optional<String> name, boolean allBranches) {
  public WorkspaceImport {
    Objects.requireNonNull(vm, "vm");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(name, "name");
  }

  public static WorkspaceImport of(String vm, Path path) {
    return new WorkspaceImport(vm, path, Optional.empty(), false);
  }
}
