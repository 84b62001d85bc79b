package dev.hearth.daemon;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A workspace as the guest has it now, and whether the host branch moved since the import.
 *
 * @param branch the guest's checked-out branch; empty when its HEAD is detached
 * @param head the guest's HEAD commit
 * @param commitsSinceImport commits in the guest since the import; empty when the base is gone
 * @param commits up to 100 of them, {@code HASH SUBJECT}, newest first
 * @param changes the guest's uncommitted changes, {@code XY path} as {@code git status --porcelain}
 * @param hostHead the commit the host branch has now; empty when the branch is gone
 * @param hostBranchMoved whether the host branch differs from the import's base commit
 */
public record WorkspaceStatus(
    Workspace workspace,
    Optional<String> branch,
    Optional<String> head,
    OptionalInt commitsSinceImport,
    List<String> commits,
    List<String> changes,
    Optional<String> hostHead,
    boolean hostBranchMoved) {
  public WorkspaceStatus {
    Objects.requireNonNull(workspace, "workspace");
    Objects.requireNonNull(branch, "branch");
    Objects.requireNonNull(head, "head");
    Objects.requireNonNull(commitsSinceImport, "commitsSinceImport");
    commits = List.copyOf(commits);
    changes = List.copyOf(changes);
    Objects.requireNonNull(hostHead, "hostHead");
  }
}
