package dev.hearth.session;

import java.io.IOException;
import java.time.Duration;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;

/**
 * Runs {@code poweroff} in the guest over SSH with the daemon's key. The command is started, not
 * awaited: the guest may close the connection before it could answer.
 */
public final class MinaGuestPowerOff implements GuestPowerOff {
  private final MinaGuestDialer dialer;

  public MinaGuestPowerOff(MinaGuestDialer dialer) {
    this.dialer = dialer;
  }

  @Override
  public void powerOff(String ip, int port, Duration timeout) throws InterruptedException {
    try (ClientSession session = dialer.dial(ip, port, timeout);
        ChannelExec exec = session.createExecChannel("poweroff")) {
      exec.open().verify(timeout);
    } catch (IOException e) {
      throw new GuestSshException(
          "cannot run poweroff at " + MinaGuestDialer.address(ip, port) + ": " + e.getMessage(), e);
    }
  }
}
