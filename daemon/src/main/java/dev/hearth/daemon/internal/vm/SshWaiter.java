package dev.hearth.daemon.internal.vm;

import java.time.Duration;

/** Waits until a guest's SSH server answers. */
public interface SshWaiter {
  /**
   * Returns once SSH at {@code ip:port} answers.
   *
   * @throws dev.hearth.daemon.DaemonException (a subtype) when it does not within {@code timeout}
   */
  void await(String ip, int port, Duration timeout) throws InterruptedException;
}
