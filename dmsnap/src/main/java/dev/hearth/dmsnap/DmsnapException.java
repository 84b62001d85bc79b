package dev.hearth.dmsnap;

/** Root of every exception thrown by the dmsnap module. */
public class DmsnapException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DmsnapException(String message) {
    super(message);
  }

  public DmsnapException(String message, Throwable cause) {
    super(message, cause);
  }
}
