package dev.hearth.imagemgr;

/**
 * Writing a VM's identity into its root disk failed; the message names the disk and the debugfs
 * command that failed.
 */
public class GuestIdentityException extends ImagemgrException {
  private static final long serialVersionUID = 1L;

  public GuestIdentityException(String message) {
    super(message);
  }

  public GuestIdentityException(String message, Throwable cause) {
    super(message, cause);
  }
}
