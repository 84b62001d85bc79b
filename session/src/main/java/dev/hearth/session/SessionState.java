package dev.hearth.session;

/**
 * A session's state, read from its guest folder:
 *
 * <ul>
 *   <li>{@code RUNNING}: no exit file, the guest has not restarted since the start, and the wrapper
 *       process still runs;
 *   <li>{@code EXITED}: the exit file holds the command's status;
 *   <li>{@code LOST}: no exit file, and the guest restarted since the start (the boot id differs)
 *       or the wrapper is gone (killed from inside the guest).
 * </ul>
 */
public enum SessionState {
  RUNNING,
  EXITED,
  LOST;

  /** The lower-case word used on the wire and in tables. */
  public String word() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
