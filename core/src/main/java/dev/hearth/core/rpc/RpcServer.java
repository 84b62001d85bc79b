package dev.hearth.core.rpc;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.hearth.core.Clock;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RPC listener: accepts connections on the daemon's Unix socket and serves each on a thread of
 * a pool bounded by {@code max_connections}; a connection past that bound gets a {@code busy} error
 * and is closed.
 */
public final class RpcServer {
  private static final Logger log = LoggerFactory.getLogger(RpcServer.class);
  private static final int BACKLOG = 128;
  private static final Duration ACCEPT_RETRY_DELAY = Duration.ofMillis(100);
  private static final Duration IDLE_THREAD_KEEP_ALIVE = Duration.ofSeconds(30);

  /** The configured bounds of the listener. */
  public record Limits(int maxConnections, Duration idleTimeout, Duration shutdownGrace) {}

  private final Path path;
  private final AFUNIXServerSocket serverSocket;
  private final JsonRpcProtocol protocol;
  private final PeerAuthorizer authorizer;
  private final Limits limits;
  private final Clock clock;
  private final Semaphore slots;
  private final ExecutorService workers;
  private final ExecutorService requests;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private volatile boolean closing;

  private RpcServer(
      Path path,
      AFUNIXServerSocket serverSocket,
      JsonRpcProtocol protocol,
      PeerAuthorizer authorizer,
      Limits limits,
      Clock clock) {
    this.path = path;
    this.serverSocket = serverSocket;
    this.protocol = protocol;
    this.authorizer = authorizer;
    this.limits = limits;
    this.clock = clock;
    this.slots = new Semaphore(limits.maxConnections());
    this.workers = pool("hearth-rpc-");
    // Each connection runs at most one request at a time, beside its reading thread.
    this.requests = pool("hearth-request-");
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
    AFUNIXServerSocket serverSocket = AFUNIXServerSocket.newInstance();
    try {
      serverSocket.bind(AFUNIXSocketAddress.of(path), BACKLOG);
    } catch (IOException | RuntimeException e) {
      serverSocket.close();
      throw e;
    }
    return new RpcServer(path, serverSocket, protocol, authorizer, limits, clock);
  }

  /** Accepts connections until {@link #close()}. */
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
      admit(socket);
    }
  }

  private void admit(AFUNIXSocket socket) {
    if (!slots.tryAcquire()) {
      refuseBusy(socket);
      return;
    }
    Connection connection =
        new Connection(socket, protocol, authorizer, limits.idleTimeout(), requests);
    connections.add(connection);
    if (closing) {
      connection.stopAfterCurrentRequest();
    }
    try {
      workers.execute(
          () -> {
            try {
              connection.run();
            } finally {
              connections.remove(connection);
              slots.release();
            }
          });
    } catch (RejectedExecutionException e) {
      connections.remove(connection);
      slots.release();
      connection.close();
    }
  }

  private void refuseBusy(AFUNIXSocket socket) {
    log.warn(
        "refused a client: already serving {} connections (max_connections)",
        limits.maxConnections());
    byte[] reply =
        JsonRpcProtocol.errorReply(
            NullNode.instance,
            ProtocolError.BUSY.error(
                "the daemon already serves its maximum of "
                    + limits.maxConnections()
                    + " connections (max_connections); try again later"));
    try (socket) {
      OutputStream out = socket.getOutputStream();
      out.write(reply);
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      log.debug("could not tell a client that the daemon is busy: {}", e.toString());
    }
  }

  /**
   * Stops accepting, lets running requests finish within the shutdown grace, then closes every
   * connection. Blocks until done; the caller removes the socket file.
   */
  public void close() throws InterruptedException {
    closing = true;
    try {
      serverSocket.close();
    } catch (IOException e) {
      log.warn("closing the listener on {} failed: {}", path, e.toString());
    }
    for (Connection c : connections) {
      c.stopAfterCurrentRequest();
    }
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
