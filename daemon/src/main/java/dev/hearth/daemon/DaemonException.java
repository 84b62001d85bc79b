package dev.hearth.daemon;

/** Root of every exception the daemon module throws, on the daemon side and in the client. */
public class DaemonException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DaemonException(String message) {
    super(message);
  }

  public DaemonException(String message, Throwable cause) {
    super(message, cause);
  }
}
