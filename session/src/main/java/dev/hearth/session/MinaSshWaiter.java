package dev.hearth.session;

import dev.hearth.core.Clock;
import dev.hearth.core.Printable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.future.CancelOption;

/**
 * Waits until a booting guest answers SSH: polls a TCP connect to its port at a short interval
 * until something listens, then proves the guest usable with a real SSH handshake as root with the
 * daemon's key and runs {@code true}. A failed handshake (sshd still starting, keys not yet read)
 * is retried after a longer pause, so a guest's sshd is not flooded with key exchanges.
 *
 * <p>The whole wait is bounded by the timeout. Host keys are accepted without being remembered, see
 * {@link MinaGuestDialer}.
 */
public final class MinaSshWaiter implements SshWaiter {
  static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(100);
  static final Duration HANDSHAKE_RETRY_PAUSE = Duration.ofMillis(500);

  /** How close to the deadline an attempt's end counts as "time ran out" (see explain). */
  private static final Duration DEADLINE_MARGIN = Duration.ofMillis(50);

  /**
   * The most bytes of {@code true}'s stdout or stderr read (it prints nothing; a guest's shell
   * startup may print a little). Past it MINA closes the session and the attempt fails naming it.
   */
  static final int OUTPUT_LIMIT = 64 * 1024;

  /** Caps one TCP connect, so that a dropped SYN does not eat the whole wait in one attempt. */
  private static final Duration CONNECT_ATTEMPT_CAP = Duration.ofSeconds(1);

  private final MinaGuestDialer dialer;
  private final Clock clock;
  private final Duration pollInterval;

  public MinaSshWaiter(MinaGuestDialer dialer, Clock clock) {
    this(dialer, clock, DEFAULT_POLL_INTERVAL);
  }

  MinaSshWaiter(MinaGuestDialer dialer, Clock clock, Duration pollInterval) {
    this.dialer = dialer;
    this.clock = clock;
    this.pollInterval = pollInterval;
  }

  /**
   * Returns once {@code true} ran over SSH on {@code ip:port}.
   *
   * @throws GuestSshTimeoutException when the timeout passes first, naming the address, the time
   *     waited and the last error
   * @throws InterruptedException when interrupted; no socket is left open
   */
  @Override
  public void await(String ip, int port, Duration timeout) throws InterruptedException {
    long start = clock.nanoTime();
    long deadline = start + timeout.toNanos();
    String address = MinaGuestDialer.address(ip, port);
    String lastError = null;
    while (true) {
      long left = deadline - clock.nanoTime();
      if (left <= 0) {
        throw new GuestSshTimeoutException(
            address,
            Duration.ofNanos(clock.nanoTime() - start),
            lastError == null ? "nothing tried within the timeout" : lastError);
      }
      Duration pause = pollInterval;
      try {
        tcpConnect(ip, port, min(Duration.ofNanos(left), CONNECT_ATTEMPT_CAP));
        pause = HANDSHAKE_RETRY_PAUSE;
        runTrue(ip, port, Duration.ofNanos(Math.max(0, deadline - clock.nanoTime())));
        return;
      } catch (IOException e) {
        MinaGuestDialer.throwIfInterrupt(e);
        lastError =
            explain(
                lastError,
                deadline,
                "TCP connect to " + ip + ":" + port + ": " + MinaGuestDialer.reason(e));
      } catch (GuestHostKeyMismatchException e) {
        throw e; // another machine at the VM's address: waiting longer cannot help
      } catch (GuestSshException e) {
        lastError = explain(lastError, deadline, e.getMessage());
      }
      left = deadline - clock.nanoTime();
      if (left > 0) {
        clock.sleep(min(pause, Duration.ofNanos(left)));
      }
    }
  }

  /**
   * The error to report. An attempt cut short by the end of the wait only says that time ran out;
   * the error before it (auth refused, connection refused) says why, so it is kept. Such an attempt
   * may end a little before the deadline (sockets and MINA round timeouts down to milliseconds, and
   * MINA measures them on its own clock), hence the margin.
   */
  private String explain(String previous, long deadline, String latest) {
    return previous != null && clock.nanoTime() - (deadline - DEADLINE_MARGIN.toNanos()) >= 0
        ? previous
        : latest;
  }

  /** An interruptible connect: an interrupt closes the channel and ends the attempt. */
  private static void tcpConnect(String ip, int port, Duration timeout) throws IOException {
    try (SocketChannel channel = SocketChannel.open()) {
      channel
          .socket()
          .connect(new InetSocketAddress(ip, port), (int) Math.max(1, timeout.toMillis()));
    }
  }

  private void runTrue(String ip, int port, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String address = MinaGuestDialer.address(ip, port);
    ClientSession session = dialer.dial(ip, port, timeout);
    BoundedOutput stdout =
        new BoundedOutput("the stdout of `true` over SSH on " + address, OUTPUT_LIMIT);
    BoundedOutput stderr =
        new BoundedOutput("the stderr of `true` over SSH on " + address, OUTPUT_LIMIT);
    try (ChannelExec exec = session.createExecChannel("true")) {
      // A write past the bound throws in MINA's I/O thread, which then closes the session.
      exec.setOut(stdout);
      exec.setErr(stderr);
      // A latch rather than ChannelExec.waitFor, which swallows interrupts.
      CountDownLatch closed = new CountDownLatch(1);
      exec.addCloseFutureListener(f -> closed.countDown());
      exec.open()
          .verify(
              MinaGuestDialer.remaining(deadline),
              CancelOption.CANCEL_ON_TIMEOUT,
              CancelOption.CANCEL_ON_INTERRUPT);
      boolean ended =
          closed.await(MinaGuestDialer.remaining(deadline).toNanos(), TimeUnit.NANOSECONDS);
      throwIfPastTheBound(stdout, stderr);
      if (!ended) {
        throw new GuestSshException("`true` over SSH on " + address + " did not finish in time");
      }
      Integer status = exec.getExitStatus();
      if (status == null || status != 0) {
        throw new GuestSshException(
            "`true` over SSH on "
                + address
                + " exited with "
                + (status == null ? "no status" : "status " + status)
                + stderrSuffix(stderr));
      }
    } catch (IOException e) {
      MinaGuestDialer.throwIfInterrupt(e);
      throwIfPastTheBound(stdout, stderr);
      throw new GuestSshException(
          "running `true` over SSH on " + address + " failed: " + MinaGuestDialer.reason(e), e);
    } finally {
      // Nothing is left to say to the guest: no graceful close to wait for.
      session.close(true);
    }
  }

  private static void throwIfPastTheBound(BoundedOutput stdout, BoundedOutput stderr) {
    for (BoundedOutput output : new BoundedOutput[] {stdout, stderr}) {
      if (output.exceeded()) {
        OutputLimitException e = new OutputLimitException(output.what(), output.limit());
        throw new GuestSshException(e.getMessage(), e);
      }
    }
  }

  private static String stderrSuffix(BoundedOutput stderr) {
    String text = Printable.of(stderr.text().strip());
    return text.isEmpty() ? "" : ": " + text;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
