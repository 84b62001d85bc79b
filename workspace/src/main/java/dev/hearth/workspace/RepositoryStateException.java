package dev.hearth.workspace;

/**
 * The host repository is in a state a workspace cannot carry (no commits, a detached HEAD, a
 * shallow clone, a linked worktree, submodules, unmerged paths) or is no git work tree at all.
 */
public final class RepositoryStateException extends WorkspaceException {
  private static final long serialVersionUID = 1L;

  public RepositoryStateException(String message) {
    super(message);
  }
}
