package dev.hearth.daemon;

/**
 * Another daemon holds the runtime folder's lock; the message names its pid. Kind {@link
 * HearthException.Kind#CONFLICT conflict}.
 */
public class DaemonAlreadyRunningException extends HearthException {
  private static final long serialVersionUID = 1L;

  private final long pid;

  public DaemonAlreadyRunningException(String message, long pid) {
    super(Kind.CONFLICT, message);
    this.pid = pid;
  }

  /** The pid of the running daemon, or -1 when its pid file could not be read. */
  public long pid() {
    return pid;
  }
}
