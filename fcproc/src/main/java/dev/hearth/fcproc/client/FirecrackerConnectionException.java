package dev.hearth.fcproc.client;

import dev.hearth.fcproc.FcprocException;
import java.nio.file.Path;

/**
 * The API socket could not be reached, or the exchange on it failed or timed out. The message names
 * the socket and the request.
 */
public class FirecrackerConnectionException extends FcprocException {
  private static final long serialVersionUID = 1L;

  private final Path apiSocket;

  public FirecrackerConnectionException(
      Path apiSocket, String method, String path, Throwable cause) {
    super(
        "cannot talk to firecracker on "
            + apiSocket
            + " ("
            + method
            + " "
            + path
            + "): "
            + cause.getMessage(),
        cause);
    this.apiSocket = apiSocket;
  }

  public Path apiSocket() {
    return apiSocket;
  }
}
