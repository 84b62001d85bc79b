package dev.hearth.daemon.internal.vm;

import dev.hearth.core.Clock;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Waits until the guest accepts TCP connections on its SSH port and sends the SSH banner. The
 * guest module's waiter adds a real handshake; this one needs no key.
 */
public final class TcpSshWaiter implements SshWaiter {
  private static final Duration POLL = Duration.ofMillis(200);
  private static final int CONNECT_TIMEOUT_MS = 1000;

  private final Clock clock;

  public TcpSshWaiter(Clock clock) {
    this.clock = clock;
  }

  @Override
  public void await(String ip, int port, Duration timeout) throws InterruptedException {
    long deadline = clock.nanoTime() + timeout.toNanos();
    String last = "no attempt yet";
    while (true) {
      if (Thread.interrupted()) {
        throw new InterruptedException("waiting for SSH on " + ip + ":" + port);
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(ip, port), CONNECT_TIMEOUT_MS);
        socket.setSoTimeout(CONNECT_TIMEOUT_MS);
        byte[] banner = socket.getInputStream().readNBytes(4);
        if (new String(banner, StandardCharsets.US_ASCII).equals("SSH-")) {
          return;
        }
        last = "the server on port " + port + " does not speak SSH";
      } catch (IOException e) {
        last = e.getMessage();
      }
      if (clock.nanoTime() - deadline >= 0) {
        throw new GuestUnreachableException(
            "the guest's SSH server at "
                + ip
                + ":"
                + port
                + " did not answer within "
                + timeout.toSeconds()
                + " s (last attempt: "
                + last
                + "); see the console log with `hearth vm logs`");
      }
      clock.sleep(POLL);
    }
  }
}
