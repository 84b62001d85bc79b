package dev.hearth.daemon.internal.vm;

import dev.hearth.core.CoreException;
import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.HearthException;
import dev.hearth.dmsnap.DmsnapException;
import dev.hearth.fcproc.FcprocException;
import dev.hearth.session.SessionException;

/** How the VM lifecycle's failures become {@link HearthException}s, in one place. */
final class VmErrors {
  private VmErrors() {}

  /** Our own errors pass; any other failure is host_error with its message. */
  static HearthException hostError(Exception e) {
    if (e instanceof HearthException rpc) {
      return rpc;
    }
    return HearthException.hostError(e.getMessage());
  }

  /**
   * Host failures (the daemon's own {@link DaemonException}s too) become host_error naming what was
   * being done; other {@link HearthException}s pass; anything else is a bug.
   */
  static RuntimeException asHostError(String doing, RuntimeException e) {
    if (e instanceof FcprocException
        || e instanceof DmsnapException
        || e instanceof CoreException
        || e instanceof DaemonException
        || e instanceof SessionException) {
      return HearthException.hostError(doing + " failed: " + e.getMessage());
    }
    return e;
  }
}
