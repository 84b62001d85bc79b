package dev.hearth.fcproc.net;

import dev.hearth.fcproc.FcprocException;

/**
 * Host networking (bridge, TAP devices, NAT rules, IP forwarding) could not be set up, inspected or
 * removed. The message names the device or rule set and, through the cause, the failed command.
 */
public class HostNetworkException extends FcprocException {
  private static final long serialVersionUID = 1L;

  public HostNetworkException(String message) {
    super(message);
  }

  public HostNetworkException(String message, Throwable cause) {
    super(message, cause);
  }
}
