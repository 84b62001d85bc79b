package dev.hearth.dmsnap;

/** Removing a root disk (or a leaked piece of one) failed; the message names what was left. */
public class DiskRemoveException extends DmsnapException {
  private static final long serialVersionUID = 1L;

  public DiskRemoveException(String message, Throwable cause) {
    super(message, cause);
  }
}
