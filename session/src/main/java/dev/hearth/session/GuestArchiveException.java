package dev.hearth.session;

/**
 * A copy out of a guest could not be written on the host; the message names the destination, the
 * bound or the entry (escaped) and the cause. Nothing of the copy is left on the host, except what
 * a merge into an existing folder had already moved into place.
 */
public class GuestArchiveException extends SessionException {
  private static final long serialVersionUID = 1L;

  /** Why the copy failed. */
  public enum Kind {
    /** The destination's folder does not exist. */
    NOT_FOUND,
    /** A folder would replace a file, or a file a folder. */
    WRONG_KIND,
    /** The archive passed one of its {@link ArchiveLimits}. */
    TOO_LARGE,
    /**
     * Anything else: the archive is not a tar, holds no entry of the requested name (or refused
     * it), or the host's filesystem failed.
     */
    FAILED
  }

  private final Kind kind;

  public GuestArchiveException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public GuestArchiveException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
