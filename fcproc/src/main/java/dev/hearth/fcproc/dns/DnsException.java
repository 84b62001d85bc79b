package dev.hearth.fcproc.dns;

import dev.hearth.fcproc.FcprocException;

/** The VM DNS could not bind an address, or a host resolver change failed. */
public class DnsException extends FcprocException {
  private static final long serialVersionUID = 1L;

  public DnsException(String message) {
    super(message);
  }

  public DnsException(String message, Throwable cause) {
    super(message, cause);
  }
}
