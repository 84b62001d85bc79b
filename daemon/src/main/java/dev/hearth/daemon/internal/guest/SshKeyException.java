package dev.hearth.daemon.internal.guest;

import dev.hearth.daemon.DaemonException;

/** The daemon's guest key pair cannot be created or loaded; the message names the file. */
public class SshKeyException extends DaemonException {
  private static final long serialVersionUID = 1L;

  public SshKeyException(String message) {
    super(message);
  }

  public SshKeyException(String message, Throwable cause) {
    super(message, cause);
  }
}
