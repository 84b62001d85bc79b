package dev.hearth.session;

/** No authenticated SSH session to a guest could be opened; the message names the address. */
public class GuestSshException extends SessionException {
  private static final long serialVersionUID = 1L;

  public GuestSshException(String message) {
    super(message);
  }

  public GuestSshException(String message, Throwable cause) {
    super(message, cause);
  }
}
