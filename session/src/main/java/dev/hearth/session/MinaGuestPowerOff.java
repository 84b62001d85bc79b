package dev.hearth.session;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;

/**
 * Runs {@code poweroff} in the guest over SSH with the daemon's key. The channel is kept open until
 * the guest closes it (the command ended, or the guest went down and took the connection along) or
 * the timeout passes: closing it at once could end the session before the guest ran the command.
 */
public final class MinaGuestPowerOff implements GuestPowerOff {
  private final MinaGuestDialer dialer;

  public MinaGuestPowerOff(MinaGuestDialer dialer) {
    this.dialer = dialer;
  }

  @Override
  public void powerOff(String ip, int port, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (ClientSession session = dialer.dial(ip, port, timeout);
        ChannelExec exec = session.createExecChannel("poweroff")) {
      // A latch rather than ChannelExec.waitFor, which swallows interrupts.
      CountDownLatch closed = new CountDownLatch(1);
      exec.addCloseFutureListener(f -> closed.countDown());
      exec.open().verify(MinaGuestDialer.remaining(deadline));
      // Not having seen the end in time is no error: whether the guest stops is what counts.
      closed.await(MinaGuestDialer.remaining(deadline).toNanos(), TimeUnit.NANOSECONDS);
    } catch (IOException e) {
      MinaGuestDialer.throwIfInterrupt(e);
      throw new GuestSshException(
          "cannot run poweroff at " + MinaGuestDialer.address(ip, port) + ": " + e.getMessage(), e);
    }
  }
}
