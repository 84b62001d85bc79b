package dev.hearth.cli;

/** An operation the CLI followed ended failed or cancelled; the message says where and why. */
final class OperationFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  OperationFailedException(String message) {
    super(message);
  }
}
