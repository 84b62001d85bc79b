package dev.hearth.fcproc.server;

import dev.hearth.fcproc.FcprocException;

/** A {@link FirecrackerBackend} could not do what a request asked; the message is the fault. */
public class FirecrackerBackendException extends FcprocException {
  private static final long serialVersionUID = 1L;

  public FirecrackerBackendException(String message) {
    super(message);
  }

  public FirecrackerBackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
