package dev.hearth.opstate;

/** Root of every exception thrown by the opstate module. */
public class OpstateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public OpstateException(String message) {
    super(message);
  }

  public OpstateException(String message, Throwable cause) {
    super(message, cause);
  }
}
