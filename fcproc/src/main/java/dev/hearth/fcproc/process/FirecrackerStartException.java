package dev.hearth.fcproc.process;

import dev.hearth.fcproc.FcprocException;

/**
 * A firecracker process could not be brought up: it could not be spawned, exited early, or its API
 * socket did not accept in time. The message names the socket and the end of the console log.
 */
public class FirecrackerStartException extends FcprocException {
  private static final long serialVersionUID = 1L;

  public FirecrackerStartException(String message) {
    super(message);
  }

  public FirecrackerStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
