package dev.hearth.session;

import java.time.Duration;

/** Waits until a guest's SSH server answers. */
public interface SshWaiter {
  /**
   * Returns once SSH at {@code ip:port} answers.
   *
   * @throws GuestSshException (or another {@link SessionException}) when it does not within {@code
   *     timeout}
   */
  void await(String ip, int port, Duration timeout) throws InterruptedException;
}
