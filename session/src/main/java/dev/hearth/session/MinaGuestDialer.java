package dev.hearth.session;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.password.PasswordIdentityProvider;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.future.CancelOption;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;

/**
 * Opens authenticated SSH sessions to guests as root with the daemon's key, on one shared MINA
 * {@link SshClient}.
 *
 * <p>The daemon owns exactly one: it makes it once the key pair is loaded and closes it when it
 * shuts down (closing ends every session it opened). MINA's client (some 450 classes, its I/O
 * threads) is started on the first dial, so that a daemon that never reaches a guest never loads
 * it. Sessions are independent: callers close the ones they get.
 *
 * <p>Host keys: any is accepted and none is remembered. Guests are fresh VMs whose host keys are
 * generated at first boot, the daemon reaches them only over its own bridge, and the daemon's
 * client never reads {@code ~/.ssh/known_hosts} or {@code ~/.ssh/config}. Only public-key
 * authentication is tried.
 */
public final class MinaGuestDialer implements AutoCloseable {
  /** Guests are entered as root: the image contract puts the daemon's key there. */
  public static final String USER = "root";

  private final KeyPair identity;
  // Guarded by this: made on the first dial, stopped by close().
  private SshClient client;
  private boolean closed;

  private MinaGuestDialer(KeyPair identity) {
    this.identity = identity;
  }

  /** A dialer with the daemon's key as its only identity; nothing is started yet. */
  public static MinaGuestDialer of(KeyPair identity) {
    return new MinaGuestDialer(identity);
  }

  private synchronized SshClient client() {
    if (closed) {
      throw new GuestSshException("the daemon's SSH client is closed: the daemon is shutting down");
    }
    if (client == null) {
      SshClient started = SshClient.setUpDefaultClient();
      started.setServerKeyVerifier((session, remote, key) -> true);
      started.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
      started.setKeyIdentityProvider(KeyIdentityProvider.wrapKeyPairs(identity));
      started.setPasswordIdentityProvider(PasswordIdentityProvider.EMPTY_PASSWORDS_PROVIDER);
      started.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
      started.start();
      client = started;
    }
    return client;
  }

  /**
   * Connects to {@code ip:port}, exchanges keys and authenticates, all within the timeout (a
   * negative one counts as zero).
   *
   * @return an authenticated session; the caller closes it
   * @throws GuestSshException naming the address and what failed (refused, timed out, auth)
   * @throws InterruptedException when interrupted; the half-open connection is closed
   */
  ClientSession dial(String ip, int port, Duration timeout) throws InterruptedException {
    Duration bound = timeout.isNegative() ? Duration.ZERO : timeout;
    long deadline = System.nanoTime() + bound.toNanos();
    String address = address(ip, port);
    ClientSession session = null;
    try {
      ConnectFuture connect = client().connect(USER, ip, port);
      session =
          connect
              .verify(bound, CancelOption.CANCEL_ON_TIMEOUT, CancelOption.CANCEL_ON_INTERRUPT)
              .getSession();
      session
          .auth()
          .verify(
              remaining(deadline),
              CancelOption.CANCEL_ON_TIMEOUT,
              CancelOption.CANCEL_ON_INTERRUPT);
      ClientSession authenticated = session;
      session = null;
      return authenticated;
    } catch (IOException e) {
      throwIfInterrupt(e);
      throw new GuestSshException("cannot open an SSH session to " + address + ": " + reason(e), e);
    } catch (IllegalStateException e) {
      // MINA's "SshClient not started": close() stopped the client between client() and connect.
      if (isClosed()) {
        throw new GuestSshException(
            "the daemon's SSH client is closed: the daemon is shutting down", e);
      }
      throw e;
    } finally {
      if (session != null) {
        session.close(true);
      }
    }
  }

  /** {@code root@ip:port}, how messages name a guest's SSH server. */
  static String address(String ip, int port) {
    return USER + "@" + ip + ":" + port;
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (client != null) {
      client.stop();
    }
  }

  static Duration remaining(long deadlineNanos) {
    return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
  }

  /**
   * MINA reports an interrupt as an {@link InterruptedIOException} caused by the {@link
   * InterruptedException}, and NIO as a {@link ClosedByInterruptException}; both become the
   * InterruptedException they stand for. (A plain InterruptedIOException is also what a socket
   * timeout is, so the cause decides.)
   */
  static void throwIfInterrupt(IOException e) throws InterruptedException {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InterruptedException || t instanceof ClosedByInterruptException) {
        Thread.interrupted();
        InterruptedException interrupted = new InterruptedException(e.getMessage());
        interrupted.initCause(e);
        throw interrupted;
      }
    }
  }

  /** The exception's message, or its class name when it has none. */
  static String reason(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }
}
