package dev.hearth.session;

import java.time.Duration;

/**
 * Asks a guest to power itself off from inside, the second step of a graceful stop for guests that
 * ignore {@code SendCtrlAltDel}.
 */
public interface GuestPowerOff {
  /**
   * Starts the guest's poweroff and returns without waiting for the guest to go down.
   *
   * @throws GuestSshException (or another {@link SessionException}) when the guest cannot be asked
   */
  void powerOff(String ip, int port, Duration timeout) throws InterruptedException;
}
