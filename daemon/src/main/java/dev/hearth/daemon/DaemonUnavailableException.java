package dev.hearth.daemon;

import java.nio.file.Path;

/**
 * No daemon answers on the socket: it does not exist, refuses connections, or closed on us. Kind
 * {@link HearthException.Kind#UNAVAILABLE unavailable}.
 */
public class DaemonUnavailableException extends HearthException {
  private static final long serialVersionUID = 1L;

  private final transient Path socket;

  public DaemonUnavailableException(Path socket, String message, Throwable cause) {
    super(Kind.UNAVAILABLE, message, cause);
    this.socket = socket;
  }

  public Path socket() {
    return socket;
  }
}
