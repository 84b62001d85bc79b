package dev.hearth.session;

/** A command in a guest could not be run to an exit status; the message names the VM and why. */
public class GuestExecException extends GuestSshException {
  private static final long serialVersionUID = 1L;

  public GuestExecException(String message) {
    super(message);
  }

  public GuestExecException(String message, Throwable cause) {
    super(message, cause);
  }
}
