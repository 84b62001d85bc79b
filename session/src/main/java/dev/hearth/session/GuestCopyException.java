package dev.hearth.session;

/** A copy's script in the guest refused or failed; the message names the VM and the cause. */
public class GuestCopyException extends SessionException {
  private static final long serialVersionUID = 1L;

  /** Why the copy failed. */
  public enum Kind {
    /** The path to pack, or the destination's folder, does not exist. */
    NOT_FOUND,
    /** A folder would replace a file. */
    WRONG_KIND,
    /** Anything else: the message carries the exit code and the script's messages. */
    FAILED
  }

  private final Kind kind;
  private final int exitCode;

  public GuestCopyException(Kind kind, int exitCode, String message) {
    super(message);
    this.kind = kind;
    this.exitCode = exitCode;
  }

  public Kind kind() {
    return kind;
  }

  /** The copy script's exit code. */
  public int exitCode() {
    return exitCode;
  }
}
