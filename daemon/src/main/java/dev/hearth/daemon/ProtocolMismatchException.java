package dev.hearth.daemon;

/** The daemon speaks a protocol version this client cannot use; the message says both versions. */
public class ProtocolMismatchException extends DaemonException {
  private static final long serialVersionUID = 1L;

  public ProtocolMismatchException(String message) {
    super(message);
  }
}
