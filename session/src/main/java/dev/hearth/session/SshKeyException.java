package dev.hearth.session;

/** The daemon's guest key pair cannot be created or loaded; the message names the file. */
public class SshKeyException extends SessionException {
  private static final long serialVersionUID = 1L;

  public SshKeyException(String message) {
    super(message);
  }

  public SshKeyException(String message, Throwable cause) {
    super(message, cause);
  }
}
