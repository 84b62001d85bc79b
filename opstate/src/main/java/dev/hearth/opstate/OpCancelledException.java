package dev.hearth.opstate;

/**
 * Thrown inside an operation's work by {@link AsyncOp#checkCancelled()} once cancellation is
 * requested; the registry then ends the operation as cancelled.
 */
public class OpCancelledException extends OpstateException {
  private static final long serialVersionUID = 1L;

  public OpCancelledException(String message) {
    super(message);
  }
}
