package dev.hearth.workspace;

/** A workspace script in the guest failed; {@link #kind()} says how. */
public final class WorkspaceScriptException extends WorkspaceException {
  private static final long serialVersionUID = 1L;

  /** What the script reported. */
  public enum Kind {
    /** git is not installed in the guest. */
    NO_GIT,
    /** The import's destination exists already. */
    EXISTS,
    /** The workspace's folder is gone from the guest. */
    MISSING,
    /** An export has nothing to bring. */
    NOTHING,
    OTHER
  }

  private final Kind kind;

  public WorkspaceScriptException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
