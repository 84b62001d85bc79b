package dev.hearth.fcproc;

/** Root of every exception thrown by the fcproc module. */
public class FcprocException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public FcprocException(String message) {
    super(message);
  }

  public FcprocException(String message, Throwable cause) {
    super(message, cause);
  }
}
