package dev.hearth.daemon;

import java.util.Objects;
import java.util.Optional;

/**
 * What {@link Workspaces#export} brings back.
 *
 * @param branch the host branch to write; {@code hearth/VM/NAME} when empty
 * @param includeUncommitted the guest's uncommitted changes as one more commit on that branch
 * @param force replace the branch even when the update is not a fast-forward
 */
public record WorkspaceExport(
    String vm, String name, Optional<String> branch, boolean includeUncommitted, boolean force) {
  public WorkspaceExport {
    Objects.requireNonNull(vm, "vm");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(branch, "branch");
  }

  public static WorkspaceExport of(String vm, String name) {
    return new WorkspaceExport(vm, name, Optional.empty(), false, false);
  }
}
