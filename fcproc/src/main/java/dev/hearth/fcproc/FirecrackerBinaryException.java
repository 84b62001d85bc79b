package dev.hearth.fcproc;

/**
 * The firecracker binary is missing, not executable, or reports a version hearth cannot use. The
 * message names the path and what was wrong.
 */
public class FirecrackerBinaryException extends FcprocException {
  private static final long serialVersionUID = 1L;

  public FirecrackerBinaryException(String message) {
    super(message);
  }

  public FirecrackerBinaryException(String message, Throwable cause) {
    super(message, cause);
  }
}
