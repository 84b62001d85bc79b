package dev.hearth.session;

/**
 * A session script could not be run to its end in a guest: the guest was unreachable or the channel
 * broke. The message names the VM, its address and the cause.
 */
public class GuestScriptException extends SessionException {
  private static final long serialVersionUID = 1L;

  public GuestScriptException(String message, Throwable cause) {
    super(message, cause);
  }
}
