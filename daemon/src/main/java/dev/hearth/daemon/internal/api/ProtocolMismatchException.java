package dev.hearth.daemon.internal.api;

import dev.hearth.daemon.HearthException;

/**
 * The daemon speaks a protocol version this client cannot use; the message says both versions. Kind
 * {@link HearthException.Kind#PROTOCOL protocol}.
 */
public class ProtocolMismatchException extends HearthException {
  private static final long serialVersionUID = 1L;

  public ProtocolMismatchException(String message) {
    super(Kind.PROTOCOL, message);
  }
}
