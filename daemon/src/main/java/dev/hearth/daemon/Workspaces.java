package dev.hearth.daemon;

import java.util.List;

/**
 * Host git repositories in VMs and the VMs' commits back (see ARCHITECTURE.md, "Workspaces"). The
 * host side runs in the caller's process with the caller's rights: the import reads the repository
 * and streams a bundle to hearth; the export's bundle is fetched into the host repository here.
 * Imports and exports are operations ({@code workspace.import}, {@code workspace.export}) that
 * {@link Ops} lists and watches while they run.
 */
public interface Workspaces {
  /**
   * Copies the repository into the running VM at {@code /workspace/NAME}: the checked-out branch
   * (or every local branch) and the uncommitted state, exactly; ignored files stay behind.
   *
   * @throws HearthException {@code invalid} for a path that is no usable repository (no commits, a
   *     detached HEAD, a shallow clone, a linked worktree, submodules, unmerged paths) or a bad
   *     name, {@code conflict} when the VM has the workspace already, {@code precondition_failed}
   *     when the VM does not run
   */
  default Workspace importRepository(WorkspaceImport spec) throws InterruptedException {
    return importRepository(spec, ImportProgress.NONE);
  }

  /**
   * Imports as {@link #importRepository(WorkspaceImport)} does, telling {@code progress} its stages
   * as they come (the copy once for every whole percent).
   */
  Workspace importRepository(WorkspaceImport spec, ImportProgress progress)
      throws InterruptedException;

  /** The VM's workspaces, by name. */
  List<Workspace> list(String vm);

  /**
   * The guest's branch, HEAD, commits since the import and uncommitted changes, and whether the
   * host branch moved.
   */
  WorkspaceStatus status(String vm, String name) throws InterruptedException;

  /**
   * Brings the guest's commits since the import into the host repository as one branch; nothing
   * else on the host changes.
   *
   * @throws HearthException {@code precondition_failed} when there is nothing to export or the
   *     update is not a fast-forward (without force), {@code invalid} for a refused bundle
   */
  WorkspaceExported export(WorkspaceExport spec) throws InterruptedException;
}
