package dev.hearth.workspace;

/** A git command on the host failed; the message names the command, its exit code and stderr. */
public final class HostGitException extends WorkspaceException {
  private static final long serialVersionUID = 1L;

  public HostGitException(String message) {
    super(message);
  }
}
