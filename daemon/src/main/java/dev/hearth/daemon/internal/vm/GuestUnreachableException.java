package dev.hearth.daemon.internal.vm;

import dev.hearth.daemon.DaemonException;

/** A guest's SSH server did not answer in time. */
public class GuestUnreachableException extends DaemonException {
  private static final long serialVersionUID = 1L;

  public GuestUnreachableException(String message) {
    super(message);
  }
}
