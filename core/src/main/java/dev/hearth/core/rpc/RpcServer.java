package dev.hearth.core.rpc;

import com.fasterxml.jackson.databind.node.NullNode;
import com.google.common.annotations.VisibleForTesting;
import dev.hearth.core.Clock;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RPC listener: accepts connections on the daemon's Unix socket and serves each on the {@link
 * ConnectionLoop} until it sends a request that does not answer at once, then on a thread of a pool
 * bounded by the connection slots ({@link ConnectionSlots}: {@code max_connections} in all, {@code
 * max_connections_per_uid} for each user but root, {@code root_reserved_connections} kept for
 * root); a connection past those bounds gets a {@code busy} error naming the bound and is closed. A
 * watchdog closes every connection whose write has been blocked for longer than {@code
 * client_write_timeout} (a client that stops reading), which frees the threads serving it. The
 * accept loop only accepts: credentials, slots, the busy answer and logging run on a set-up thread,
 * so a burst of connects never overflows the listen backlog.
 */
public final class RpcServer {
  private static final Logger log = LoggerFactory.getLogger(RpcServer.class);

  /**
   * The listen backlog asked of the kernel: connects not yet accepted that it queues. Linux caps it
   * silently at net.core.somaxconn (4096 by default since Linux 5.4); a connect beyond the queue
   * blocks (a blocking client) or fails with EAGAIN (a non-blocking one).
   */
  static final int BACKLOG = 4096;

  /**
   * Accepted sockets waiting for their set-up (credentials, slot, hand-off) off the accept loop.
   */
  private static final int PENDING_SETUPS = 1024;

  private static final Duration ACCEPT_RETRY_DELAY = Duration.ofMillis(100);
  private static final Duration IDLE_THREAD_KEEP_ALIVE = Duration.ofSeconds(30);

  /**
   * The configured bounds of the listener.
   *
   * @param maxConnections connections served at once, all users together
   * @param maxConnectionsPerUid connections of one uid other than root
   * @param rootReservedConnections slots only root may take, fewer than {@code maxConnections}
   * @param idleTimeout how long a connection with no request running may send nothing
   * @param writeTimeout how long one write to a client may block before the connection is closed
   * @param shutdownGrace how long running requests may take once the server closes
   */
  public record Limits(
      int maxConnections,
      int maxConnectionsPerUid,
      int rootReservedConnections,
      Duration idleTimeout,
      Duration writeTimeout,
      Duration shutdownGrace) {
    public Limits {
      if (maxConnections < 1 || maxConnectionsPerUid < 1) {
        throw new IllegalArgumentException(
            "max_connections ("
                + maxConnections
                + ") and max_connections_per_uid ("
                + maxConnectionsPerUid
                + ") must be at least 1");
      }
      if (rootReservedConnections < 0 || rootReservedConnections >= maxConnections) {
        throw new IllegalArgumentException(
            "root_reserved_connections ("
                + rootReservedConnections
                + ") must be from 0 to max_connections - 1 ("
                + (maxConnections - 1)
                + ")");
      }
      if (idleTimeout.isNegative()
          || idleTimeout.isZero()
          || writeTimeout.isNegative()
          || writeTimeout.isZero()) {
        throw new IllegalArgumentException(
            "client_idle_timeout ("
                + idleTimeout
                + ") and client_write_timeout ("
                + writeTimeout
                + ") must be positive");
      }
    }
  }

  /** Reads who is on the other end of an accepted socket; tests pass fixed credentials. */
  @FunctionalInterface
  interface CredentialsReader {
    PeerCredentials read(AFUNIXSocket socket) throws IOException;
  }

  /** The peer as the kernel reports it (SO_PEERCRED). */
  static final CredentialsReader KERNEL_CREDENTIALS =
      socket -> {
        AFUNIXSocketCredentials c = socket.getPeerCredentials();
        return new PeerCredentials(c.getUid(), c.getGid(), c.getPid());
      };

  private final Path path;
  private final AFUNIXServerSocket serverSocket;
  private final JsonRpcProtocol protocol;
  private final PeerAuthorizer authorizer;
  private final Limits limits;
  private final Clock clock;
  private final CredentialsReader credentialsReader;
  private final ConnectionSlots slots;
  private final ScheduledExecutorService watchdog;
  private final ExecutorService workers;
  private final ExecutorService requests;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final BlockingQueue<AFUNIXSocket> pendingSetups =
      new ArrayBlockingQueue<>(PENDING_SETUPS);
  private final Thread setupThread;
  private final ConnectionLoop loop;
  private final Thread loopThread;
  private volatile boolean closing;

  private RpcServer(
      Path path,
      AFUNIXServerSocket serverSocket,
      JsonRpcProtocol protocol,
      PeerAuthorizer authorizer,
      Limits limits,
      Clock clock,
      CredentialsReader credentialsReader)
      throws IOException {
    this.path = path;
    this.serverSocket = serverSocket;
    this.protocol = protocol;
    this.authorizer = authorizer;
    this.limits = limits;
    this.clock = clock;
    this.credentialsReader = credentialsReader;
    this.slots = new ConnectionSlots(limits);
    this.workers = pool("hearth-rpc-");
    // Each connection runs at most one request at a time, beside its reading thread.
    this.requests = pool("hearth-request-");
    this.watchdog =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread t = new Thread(task, "hearth-rpc-write-watchdog");
              t.setDaemon(true);
              return t;
            });
    long period = Math.max(10, Math.min(1000, limits.writeTimeout().toMillis() / 4));
    watchdog.scheduleWithFixedDelay(
        this::closeStalledWriters, period, period, TimeUnit.MILLISECONDS);
    this.loop = new ConnectionLoop(protocol, limits.idleTimeout(), workers, clock);
    this.loopThread = new Thread(loop, "hearth-rpc-loop");
    loopThread.setDaemon(true);
    loopThread.start();
    this.setupThread = new Thread(this::setUpAccepted, "hearth-rpc-setup");
    setupThread.setDaemon(true);
    setupThread.start();
  }

  /**
   * A pool that reuses idle threads and keeps none for long: a thread is made only when no idle one
   * can take the task. (A fixed-size pool would make a new thread for every task until it holds
   * {@code max_connections} of them, however few run at once.) The pool itself is unbounded: the
   * connection slots bound what runs in it, to one reader and one request per admitted connection.
   */
  private static ExecutorService pool(String threadPrefix) {
    AtomicInteger threadNumber = new AtomicInteger();
    return new ThreadPoolExecutor(
        0,
        Integer.MAX_VALUE,
        IDLE_THREAD_KEEP_ALIVE.toSeconds(),
        TimeUnit.SECONDS,
        new SynchronousQueue<>(),
        task -> {
          Thread t = new Thread(task, threadPrefix + threadNumber.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * Binds a socket at {@code path}, which must not exist.
   *
   * @throws IOException when the socket cannot be bound
   */
  public static RpcServer bind(
      Path path, JsonRpcProtocol protocol, PeerAuthorizer authorizer, Limits limits, Clock clock)
      throws IOException {
    return bind(path, protocol, authorizer, limits, clock, KERNEL_CREDENTIALS);
  }

  static RpcServer bind(
      Path path,
      JsonRpcProtocol protocol,
      PeerAuthorizer authorizer,
      Limits limits,
      Clock clock,
      CredentialsReader credentialsReader)
      throws IOException {
    AFUNIXServerSocket serverSocket = AFUNIXServerSocket.newInstance();
    try {
      serverSocket.bind(AFUNIXSocketAddress.of(path), BACKLOG);
    } catch (IOException | RuntimeException e) {
      serverSocket.close();
      throw e;
    }
    try {
      return new RpcServer(
          path, serverSocket, protocol, authorizer, limits, clock, credentialsReader);
    } catch (IOException | RuntimeException e) {
      serverSocket.close();
      throw e;
    }
  }

  /**
   * Accepts connections until {@link #close()}. The loop only accepts and hands each socket to the
   * set-up thread, so a burst of connects drains the kernel's backlog as fast as accept(2) runs;
   * reading the peer's credentials, counting its slot, answering {@code busy} and logging happen
   * there. When {@value #PENDING_SETUPS} sockets wait for set-up the loop waits too, leaving the
   * rest in the kernel's backlog.
   */
  public void acceptLoop() throws InterruptedException {
    while (!closing) {
      AFUNIXSocket socket;
      try {
        socket = serverSocket.accept();
      } catch (IOException e) {
        if (closing) {
          return;
        }
        log.warn("accepting a connection on {} failed: {}", path, e.toString());
        clock.sleep(ACCEPT_RETRY_DELAY);
        continue;
      }
      try {
        pendingSetups.put(socket);
      } catch (InterruptedException e) {
        closeQuietly(socket);
        throw e;
      }
      if (closing) {
        closePending();
      }
    }
  }

  /** The set-up thread: admits each accepted socket in turn until the server closes. */
  private void setUpAccepted() {
    while (true) {
      AFUNIXSocket socket;
      try {
        socket = pendingSetups.take();
      } catch (InterruptedException e) {
        // close() stops this thread; it closes what is still pending.
        return;
      }
      if (closing) {
        closeQuietly(socket);
        continue;
      }
      try {
        admit(socket);
      } catch (RuntimeException e) {
        log.warn("setting up a connection failed: {}", e.toString());
        closeQuietly(socket);
      }
    }
  }

  private void closePending() {
    AFUNIXSocket socket;
    while ((socket = pendingSetups.poll()) != null) {
      closeQuietly(socket);
    }
  }

  private static void closeQuietly(AFUNIXSocket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      log.debug("closing a connection not yet set up failed: {}", e.toString());
    }
  }

  private void admit(AFUNIXSocket socket) {
    PeerCredentials peer = credentials(socket);
    Optional<String> full = slots.tryAcquire(peer.uid());
    if (full.isPresent()) {
      refuseBusy(socket, peer, full.get());
      return;
    }
    Optional<String> refusal = authorizer.refusal(peer);
    if (refusal.isPresent()) {
      log.warn(
          "refused a client (uid {}, gid {}, pid {}): {}",
          peer.uid(),
          peer.gid(),
          peer.pid(),
          refusal.get());
    }
    Connection connection =
        new Connection(
            socket,
            peer,
            refusal,
            protocol,
            limits.idleTimeout(),
            requests,
            clock,
            ended -> {
              connections.remove(ended);
              slots.release(peer.uid());
            });
    connections.add(connection);
    if (closing) {
      connection.stopAfterCurrentRequest();
    }
    try {
      socket.setAncillaryReceiveBufferSize(PassedFiles.ANCILLARY_BUFFER_BYTES);
    } catch (RuntimeException e) {
      log.debug("cannot set up a client connection: {}", e.toString());
      connection.close();
      connection.ended();
      return;
    }
    if (!connection.refused() && loop.adopt(connection)) {
      return;
    }
    // A refused client gets its answer on a thread, as it used to: nothing about it is quick. So
    // does every client once the event loop has failed.
    try {
      workers.execute(connection);
    } catch (RejectedExecutionException e) {
      connection.close();
      connection.ended();
    }
  }

  private PeerCredentials credentials(AFUNIXSocket socket) {
    try {
      return credentialsReader.read(socket);
    } catch (IOException e) {
      log.warn("cannot read a client's credentials: {}", e.toString());
      return new PeerCredentials(-1, -1, -1);
    }
  }

  /**
   * Closes each connection whose write has been blocked longer than the write timeout: its client
   * no longer reads. Closing the socket fails the blocked write, so the request's thread and then
   * the connection's end and give back their slot.
   */
  private void closeStalledWriters() {
    long now = clock.nanoTime();
    for (Connection c : connections) {
      if (c.writeBlockedLongerThan(limits.writeTimeout(), now)) {
        log.warn(
            "closing the connection of uid {} (pid {}): a write to it has been blocked for more"
                + " than {} (client_write_timeout); the client does not read",
            c.peer().uid(),
            c.peer().pid(),
            limits.writeTimeout());
        c.close();
      }
    }
  }

  private void refuseBusy(AFUNIXSocket socket, PeerCredentials peer, String why) {
    log.warn("refused a client (uid {}, pid {}): {}", peer.uid(), peer.pid(), why);
    byte[] reply = JsonRpcProtocol.errorReply(NullNode.instance, ProtocolError.BUSY.error(why));
    try (socket) {
      OutputStream out = socket.getOutputStream();
      out.write(reply);
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      log.debug("could not tell a client that the daemon is busy: {}", e.toString());
    }
  }

  /** How many connections are admitted and not yet ended. */
  @VisibleForTesting
  int openConnections() {
    return connections.size();
  }

  /** Breaks the event loop's selector, as a failure of it would; the loop thread then ends. */
  @VisibleForTesting
  void breakEventLoop() throws IOException {
    loop.breakSelector();
  }

  @VisibleForTesting
  Thread eventLoopThread() {
    return loopThread;
  }

  /**
   * Stops accepting, lets running requests finish within the shutdown grace, then closes every
   * connection. Blocks until done; the caller removes the socket file.
   */
  public void close() throws InterruptedException {
    closing = true;
    watchdog.shutdownNow();
    try {
      serverSocket.close();
    } catch (IOException e) {
      log.warn("closing the listener on {} failed: {}", path, e.toString());
    }
    setupThread.interrupt();
    setupThread.join(limits.shutdownGrace().toMillis() + 1);
    closePending();
    for (Connection c : connections) {
      c.stopAfterCurrentRequest();
    }
    loop.close();
    loopThread.join(limits.shutdownGrace().toMillis() + 1);
    workers.shutdown();
    if (!workers.awaitTermination(limits.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
      log.warn(
          "{} requests still running after the shutdown grace of {}; closing their connections",
          connections.size(),
          limits.shutdownGrace());
      for (Connection c : connections) {
        c.close();
      }
      workers.shutdownNow();
      requests.shutdownNow();
    }
    // Every connection waits for its request before it ends, so none runs any more.
    requests.shutdown();
  }
}
