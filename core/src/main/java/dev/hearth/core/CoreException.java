package dev.hearth.core;

/** Root of every exception thrown by the core module. */
public class CoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CoreException(String message) {
    super(message);
  }

  public CoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
