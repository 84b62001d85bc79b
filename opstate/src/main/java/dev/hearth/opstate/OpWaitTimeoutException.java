package dev.hearth.opstate;

/** An operation did not end within the time a caller waited; the message names its stage. */
public class OpWaitTimeoutException extends OpstateException {
  private static final long serialVersionUID = 1L;

  public OpWaitTimeoutException(String message) {
    super(message);
  }
}
