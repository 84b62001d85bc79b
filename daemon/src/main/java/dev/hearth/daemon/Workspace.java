package dev.hearth.daemon;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;

/**
 * A host git repository imported into a VM (see {@link Workspaces}).
 *
 * @param vm the VM's name
 * @param name the workspace's name, its folder under {@code /workspace} in the guest
 * @param guestPath where it is in the guest
 * @param hostPath the host work tree it came from
 * @param branch the branch checked out at the import, without {@code refs/heads/}
 * @param baseCommit the commit that branch had at the import
 */
public record Workspace(
    String vm,
    String name,
    String guestPath,
    Path hostPath,
    String branch,
    String baseCommit,
    Instant importedAt) {
  public Workspace {
    Objects.requireNonNull(vm, "vm");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(guestPath, "guestPath");
    Objects.requireNonNull(hostPath, "hostPath");
    Objects.requireNonNull(branch, "branch");
    Objects.requireNonNull(baseCommit, "baseCommit");
    Objects.requireNonNull(importedAt, "importedAt");
  }
}
