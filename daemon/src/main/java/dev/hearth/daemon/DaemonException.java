package dev.hearth.daemon;

/**
 * The daemon's own work on the host failed: its folders, lock, pid file, socket, files, or a step
 * of opening or closing it. Kind {@link HearthException.Kind#HOST_ERROR host_error}; the message
 * names the file or the step.
 */
public class DaemonException extends HearthException {
  private static final long serialVersionUID = 1L;

  public DaemonException(String message) {
    super(Kind.HOST_ERROR, message);
  }

  public DaemonException(String message, Throwable cause) {
    super(Kind.HOST_ERROR, message, cause);
  }
}
