package dev.hearth.opstate;

/** The operation has already ended, so it cannot be cancelled; the message names its state. */
public class OpAlreadyFinishedException extends OpstateException {
  private static final long serialVersionUID = 1L;

  public OpAlreadyFinishedException(String message) {
    super(message);
  }
}
