package dev.hearth.session;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.Durations;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ClosedByInterruptException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.password.PasswordIdentityProvider;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.future.CancelOption;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.core.CoreModuleProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens authenticated SSH sessions to guests as root with the daemon's key, on one shared MINA
 * {@link SshClient}.
 *
 * <p>The daemon owns exactly one: it makes it once the key pair is loaded and closes it when it
 * shuts down (closing ends every session it opened). MINA's client (some 450 classes, its I/O
 * threads) is started on the first dial, so that a daemon that never reaches a guest never loads
 * it. Sessions are independent: callers close the ones they get.
 *
 * <p>Host keys are pinned: every server key is checked against {@link GuestHostKeys} for the
 * address dialed. The daemon writes each VM's ed25519 host key at its identity stage and pins its
 * public part; a server showing another key is refused with a {@link GuestHostKeyMismatchException}
 * naming the VM and both fingerprints (another machine answers at the VM's address). A VM with no
 * pinned key (made before hearth pinned keys) gets the key it shows at first contact pinned.
 * ed25519 is the host key type asked for first, the one hearth writes. The client never reads
 * {@code ~/.ssh/known_hosts} or {@code ~/.ssh/config}. Only public-key authentication is tried.
 */
public final class MinaGuestDialer implements AutoCloseable {
  /** Guests are entered as root: the image contract puts the daemon's key there. */
  public static final String USER = "root";

  private static final Logger log = LoggerFactory.getLogger(MinaGuestDialer.class);

  /** Keepalives a guest may leave unanswered in a row before its connection is taken as lost. */
  public static final int KEEPALIVES_MISSED = 4;

  /** Why the server key was refused, for the exception that the failed handshake becomes. */
  private static final AttributeRepository.AttributeKey<String> REFUSED_KEY =
      new AttributeRepository.AttributeKey<>();

  private final KeyPair identity;
  private final GuestHostKeys hostKeys;
  private final Duration keepalive;
  private final GuestCalls calls = new GuestCalls();

  /**
   * Why a key was refused, by the address dialed, as well as on the session: a handshake refused
   * early enough fails the connect itself, whose caller then has no session to read it from.
   */
  private final Map<String, String> refusals = new ConcurrentHashMap<>();

  /**
   * Why a connection was given up, for the errors of the calls it carried: kept here, not on the
   * session, whose attributes go when it closes; weak, so a session's entry goes with it.
   */
  private final Map<Session, String> lost = Collections.synchronizedMap(new WeakHashMap<>());

  // Guarded by this: made on the first dial, stopped by close().
  private SshClient client;
  private boolean closed;

  private MinaGuestDialer(KeyPair identity, GuestHostKeys hostKeys, Duration keepalive) {
    this.identity = identity;
    this.hostKeys = hostKeys;
    this.keepalive = keepalive;
  }

  /**
   * A dialer with the daemon's key as its only identity that checks nothing of the servers' keys
   * ({@link GuestHostKeys#NONE}), for SSH servers of a test's own; nothing is started yet.
   */
  public static MinaGuestDialer of(KeyPair identity) {
    return new MinaGuestDialer(identity, GuestHostKeys.NONE, Duration.ZERO);
  }

  /** A dialer with the daemon's key that holds guests to their pinned host keys. */
  public static MinaGuestDialer of(KeyPair identity, GuestHostKeys hostKeys) {
    return of(identity, hostKeys, Duration.ZERO);
  }

  /**
   * As {@link #of(KeyPair, GuestHostKeys)}, with an SSH keepalive every {@code keepalive} on each
   * connection (zero: none): a guest that answers none of {@link #KEEPALIVES_MISSED} in a row (a
   * frozen VM, a guest that stopped reading) has its connection closed, and every call on it ends
   * with an error saying so, rather than waiting for its client or its VM's stop.
   */
  public static MinaGuestDialer of(KeyPair identity, GuestHostKeys hostKeys, Duration keepalive) {
    requireNonNull(keepalive, "keepalive");
    if (keepalive.isNegative()) {
      throw new IllegalArgumentException("a keepalive interval cannot be negative: " + keepalive);
    }
    return new MinaGuestDialer(identity, requireNonNull(hostKeys, "hostKeys"), keepalive);
  }

  /** The calls running in guests over this client, by VM, to be ended with their VM. */
  public GuestCalls calls() {
    return calls;
  }

  private synchronized SshClient client() {
    if (closed) {
      throw new GuestSshException("the daemon's SSH client is closed: the daemon is shutting down");
    }
    if (client == null) {
      SshClient started = SshClient.setUpDefaultClient();
      started.setServerKeyVerifier(this::verifyServerKey);
      List<NamedFactory<Signature>> signatures = new ArrayList<>(started.getSignatureFactories());
      // Stable: ed25519 first, the others in MINA's order.
      signatures.sort(Comparator.comparing(f -> !f.getName().equals(KeyPairProvider.SSH_ED25519)));
      started.setSignatureFactories(signatures);
      started.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
      started.setKeyIdentityProvider(KeyIdentityProvider.wrapKeyPairs(identity));
      started.setPasswordIdentityProvider(PasswordIdentityProvider.EMPTY_PASSWORDS_PROVIDER);
      started.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
      if (!keepalive.isZero()) {
        // Sent with want-reply; past KEEPALIVES_MISSED outstanding, MINA closes the session with
        // an exception, which the listener records for the calls' errors.
        CoreModuleProperties.HEARTBEAT_INTERVAL.set(started, keepalive);
        CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(started, KEEPALIVES_MISSED);
        started.addSessionListener(
            new SessionListener() {
              @Override
              public void sessionException(Session session, Throwable t) {
                if (String.valueOf(t.getMessage()).contains("heartbeat requests without reply")) {
                  lost.put(session, lostReason());
                }
              }
            });
      }
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
    return dial(ip, port, timeout, Cancellation.never());
  }

  /**
   * As {@link #dial(String, int, Duration)}; once {@code cancel} fires the connect is cancelled or
   * the session closed, without waiting on the guest, so a dial to a guest that went away ends at
   * once.
   */
  ClientSession dial(String ip, int port, Duration timeout, Cancellation cancel)
      throws InterruptedException {
    Duration bound = timeout.isNegative() ? Duration.ZERO : timeout;
    long deadline = System.nanoTime() + bound.toNanos();
    String address = address(ip, port);
    ClientSession session = null;
    try {
      ConnectFuture connect = client().connect(USER, ip, port);
      cancel.onCancel(connect::cancel);
      session =
          connect
              .verify(bound, CancelOption.CANCEL_ON_TIMEOUT, CancelOption.CANCEL_ON_INTERRUPT)
              .getSession();
      ClientSession connected = session;
      cancel.onCancel(() -> connected.close(true));
      session
          .auth()
          .verify(
              remaining(deadline),
              CancelOption.CANCEL_ON_TIMEOUT,
              CancelOption.CANCEL_ON_INTERRUPT);
      ClientSession authenticated = session;
      session = null;
      refusals.remove(address);
      return authenticated;
    } catch (IOException e) {
      throwIfInterrupt(e);
      String refused = session == null ? null : session.getAttribute(REFUSED_KEY);
      String recorded = refusals.remove(address);
      if (refused == null) {
        refused = recorded;
      }
      if (refused != null) {
        throw new GuestHostKeyMismatchException(refused);
      }
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

  /**
   * Checks the server's key against the one pinned for the address dialed; records why a key is
   * refused on the session, for {@link #dial}'s exception.
   */
  private boolean verifyServerKey(ClientSession session, SocketAddress remote, PublicKey key) {
    SocketAddress dialed = session.getConnectAddress();
    String host;
    int port;
    if (dialed instanceof SshdSocketAddress sshd) {
      host = sshd.getHostName();
      port = sshd.getPort();
    } else if (dialed instanceof InetSocketAddress inet) {
      host = inet.getHostString();
      port = inet.getPort();
    } else {
      session.setAttribute(REFUSED_KEY, "cannot tell which address " + dialed + " is");
      return false;
    }
    String address = address(host, port);
    try {
      Optional<GuestHostKeys.Known> known = hostKeys.lookup(host, port);
      if (known.isEmpty()) {
        return true;
      }
      String vm = known.get().vm();
      if (known.get().publicKey().isEmpty()) {
        hostKeys.pin(vm, PublicKeyEntry.toString(key));
        log.info(
            "VM {} had no pinned SSH host key: pinned {} seen at {} (first contact)",
            vm,
            KeyUtils.getFingerPrint(key),
            address);
        return true;
      }
      PublicKey pinned = parse(known.get().publicKey().get());
      if (KeyUtils.compareKeys(pinned, key)) {
        return true;
      }
      refuse(
          session,
          address,
          "refused the SSH server at "
              + address
              + ": it showed host key "
              + KeyUtils.getFingerPrint(key)
              + " but VM "
              + vm
              + "'s pinned host key is "
              + KeyUtils.getFingerPrint(pinned)
              + ", so it is not VM "
              + vm
              + " (another machine answers at its address)");
      return false;
    } catch (RuntimeException | IOException | GeneralSecurityException e) {
      refuse(
          session,
          address,
          "cannot check the host key of the SSH server at " + address + ": " + reason(e));
      return false;
    }
  }

  private void refuse(ClientSession session, String address, String reason) {
    session.setAttribute(REFUSED_KEY, reason);
    refusals.put(address, reason);
  }

  private static PublicKey parse(String line) throws IOException, GeneralSecurityException {
    AuthorizedKeyEntry entry = AuthorizedKeyEntry.parseAuthorizedKeyEntry(line);
    if (entry == null) {
      throw new IOException("the pinned host key is empty");
    }
    return entry.resolvePublicKey(null, PublicKeyEntryResolver.FAILING);
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

  /**
   * Why {@code session}'s connection was given up by this side (its guest answered no keepalive),
   * if it was.
   */
  Optional<String> lost(ClientSession session) {
    return Optional.ofNullable(lost.get(session));
  }

  private String lostReason() {
    return "the guest answered none of "
        + KEEPALIVES_MISSED
        + " SSH keepalives sent "
        + Durations.format(keepalive)
        + " apart (guest_keepalive): it is frozen or its network is gone";
  }

  /** The exception's message, or its class name when it has none. */
  static String reason(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }
}
