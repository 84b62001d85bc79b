package dev.hearth.core.rpc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.annotations.VisibleForTesting;
import dev.hearth.core.Clock;
import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event loop every admitted connection starts on: one thread and a selector read the lines of
 * all idle connections and answer, in arrival order, the requests that {@linkplain
 * RequestHandler#answersAtOnce answer at once} ({@code daemon.ping}), with no thread woken per
 * request. The first line that needs more (any other method, stream input, a line that is not ASCII
 * JSON, passed descriptors) moves its connection to a thread of its own for good ({@link
 * Connection#serveAfter}), with the bytes read and not yet served and the descriptors that came
 * with them; from then on it is served as every connection was before the loop existed.
 *
 * <p>A connection on the loop holds no thread. Its reply is written without blocking; while one is
 * not fully written the loop reads nothing more from that client (so a client that sends and does
 * not read holds at most one read buffer and one reply), and the server's write watchdog closes it
 * after {@code client_write_timeout}. A connection that sends nothing for {@code
 * client_idle_timeout} is closed, as on a thread.
 */
final class ConnectionLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(ConnectionLoop.class);

  /** How often the loop looks for idle connections and for connections closed by others. */
  private static final Duration SWEEP_PERIOD = Duration.ofMillis(250);

  private static final int READ_BUFFER_BYTES = 64 * 1024;

  /**
   * The longest line the loop reads before it gives the connection to a thread: an at-once request
   * is far shorter, and a longer line (up to the 1 MiB line limit) is read there.
   */
  private static final int LOOP_LINE_BYTES = READ_BUFFER_BYTES;

  private final Selector selector;
  private final JsonRpcProtocol protocol;
  private final Duration idleTimeout;
  private final Executor threads;
  private final Clock clock;
  private final Queue<Attached> arriving = new ConcurrentLinkedQueue<>();
  private final List<Attached> attached = new ArrayList<>();
  private final ByteBuffer readBuffer = ByteBuffer.allocate(READ_BUFFER_BYTES);
  private volatile boolean closing;
  private volatile boolean failed;

  /**
   * @param threads runs a connection that leaves the loop, until it ends
   */
  ConnectionLoop(JsonRpcProtocol protocol, Duration idleTimeout, Executor threads, Clock clock)
      throws IOException {
    this.selector = AFUNIXSelectorProvider.provider().openSelector();
    this.protocol = protocol;
    this.idleTimeout = idleTimeout;
    this.threads = threads;
    this.clock = clock;
  }

  /**
   * Serves {@code connection} on the loop from now on; any thread may call it.
   *
   * @return false when the loop has failed (its selector broke): the caller serves the connection
   *     on a thread of its own instead, as connections were served before the loop
   */
  boolean adopt(Connection connection) {
    if (failed) {
      return false;
    }
    arriving.add(new Attached(connection, clock.nanoTime()));
    selector.wakeup();
    if (closing) {
      closeArriving();
    }
    return true;
  }

  /** Closes the selector under the running loop, as a selector failure would end it. */
  @VisibleForTesting
  void breakSelector() throws IOException {
    selector.close();
  }

  /** Ends the loop: every connection still on it is closed. Returns at once. */
  void close() {
    closing = true;
    selector.wakeup();
  }

  @Override
  public void run() {
    long nextSweep = clock.nanoTime() + SWEEP_PERIOD.toNanos();
    try {
      while (!closing) {
        selector.select(SWEEP_PERIOD.toMillis());
        registerArriving();
        List<Attached> leaving = new ArrayList<>();
        for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
          SelectionKey key = it.next();
          it.remove();
          Attached a = (Attached) key.attachment();
          if (!serve(a, key)) {
            leaving.add(a);
          }
        }
        handOver(leaving);
        long now = clock.nanoTime();
        if (now - nextSweep >= 0) {
          sweep(now);
          nextSweep = now + SWEEP_PERIOD.toNanos();
        }
      }
    } catch (IOException | ClosedSelectorException e) {
      failed = true;
      log.error(
          "the RPC event loop failed; closing its connections (new ones are served on threads): {}",
          e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closing = true;
      for (Attached a : attached) {
        a.connection.close();
        a.connection.ended();
      }
      attached.clear();
      closeArriving();
      try {
        selector.close();
      } catch (IOException e) {
        log.debug("closing the RPC event loop's selector failed: {}", e.toString());
      }
    }
  }

  private void closeArriving() {
    Attached a;
    while ((a = arriving.poll()) != null) {
      a.connection.close();
      a.connection.ended();
    }
  }

  private void registerArriving() {
    Attached a;
    while ((a = arriving.poll()) != null) {
      try {
        AFUNIXSocketChannel channel = a.connection.channel();
        channel.configureBlocking(false);
        a.key = channel.register(selector, SelectionKey.OP_READ, a);
        attached.add(a);
      } catch (IOException | RuntimeException e) {
        log.debug("a client connection ended before the event loop took it: {}", e.toString());
        a.connection.close();
        a.connection.ended();
      }
    }
  }

  /**
   * Reads what is ready and answers the at-once requests in it. A readable connection with nothing
   * to read is one whose client shut down its side: what it sent before is still served and its
   * replies written (a client such as socat shuts its side down and then reads), then the
   * connection ends. junixsocket's selector cancels the key of a client that hung up altogether
   * (and reads then return 0, not -1): what it sent is still read and served, as on a thread.
   *
   * @return false when the connection leaves the loop for a thread of its own
   */
  private boolean serve(Attached a, SelectionKey key) throws InterruptedException {
    try {
      boolean hungUp = !key.isValid();
      if (!hungUp && key.isWritable() && !flush(a)) {
        return true;
      }
      if (hungUp || (key.isReadable() && a.out == null && !a.inputEnded)) {
        int n;
        do {
          readBuffer.clear();
          n = a.connection.channel().read(readBuffer);
          if (n > 0) {
            a.lastReadNanos = clock.nanoTime();
            a.append(readBuffer.array(), n);
          }
          FileDescriptor[] files = a.connection.channel().getReceivedFileDescriptors();
          if (files != null && files.length > 0) {
            // Descriptors belong to the request whose line they came with: a thread serves it.
            a.files = PassedFiles.asList(files);
            return false;
          }
        } while (hungUp && n > 0);
        if (n <= 0) {
          a.inputEnded = true;
        }
      }
      if (!serveLines(a)) {
        return false;
      }
      if (a.inputEnded && (hungUp || a.out == null)) {
        end(a, a.unread > 0 ? "a client disconnected in the middle of a request" : null);
      }
      return true;
    } catch (IOException e) {
      end(a, "client connection ended: " + e);
      return true;
    } catch (RuntimeException e) {
      log.warn("the RPC event loop failed to serve a client; closing its connection", e);
      end(a, null);
      return true;
    }
  }

  /** Serves the complete lines read so far; false when one needs a thread. */
  private boolean serveLines(Attached a) throws IOException, InterruptedException {
    while (a.out == null) {
      int newline = a.newline();
      if (newline < 0) {
        return a.unread < LOOP_LINE_BYTES;
      }
      byte[] line = Arrays.copyOfRange(a.buffer, a.start, newline);
      if (isBlank(line)) {
        a.consume(newline + 1);
        continue;
      }
      Optional<ObjectNode> request = protocol.atOnceRequest(line);
      if (request.isEmpty()) {
        return false;
      }
      a.consume(newline + 1);
      Optional<byte[]> reply = protocol.answerAtOnce(request.get());
      if (reply.isPresent()) {
        send(a, reply.get());
      }
    }
    return true;
  }

  private static boolean isBlank(byte[] line) {
    for (byte b : line) {
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }

  /** Writes a reply line without blocking; what does not fit waits for the socket to drain. */
  private void send(Attached a, byte[] line) throws IOException {
    ByteBuffer framed = ByteBuffer.allocate(line.length + 1).put(line).put((byte) '\n').flip();
    a.connection.channel().write(framed);
    if (framed.hasRemaining()) {
      a.out = framed;
      a.connection.writeBlockedSince(clock.nanoTime());
      a.key.interestOps(SelectionKey.OP_WRITE);
    }
  }

  /** Writes more of a pending reply; true once it is all written. */
  private boolean flush(Attached a) throws IOException {
    a.connection.channel().write(a.out);
    if (a.out.hasRemaining()) {
      return false;
    }
    a.out = null;
    a.connection.writeUnblocked();
    a.key.interestOps(SelectionKey.OP_READ);
    return true;
  }

  /** Moves connections to threads of their own, with what they sent and the loop did not serve. */
  private void handOver(List<Attached> leaving) throws IOException {
    if (leaving.isEmpty()) {
      return;
    }
    for (Attached a : leaving) {
      a.key.cancel();
      attached.remove(a);
    }
    // A channel goes back to blocking mode only once its cancelled key is deregistered.
    selector.selectNow();
    for (Attached a : leaving) {
      byte[] unread = Arrays.copyOfRange(a.buffer, a.start, a.start + a.unread);
      List<FileDescriptor> files = a.files;
      try {
        a.connection.channel().configureBlocking(true);
        threads.execute(() -> a.connection.serveAfter(unread, files));
      } catch (IOException | IllegalBlockingModeException | RejectedExecutionException e) {
        log.debug("a client connection could not leave the event loop: {}", e.toString());
        new PassedFiles(files).closeRest();
        a.connection.close();
        a.connection.ended();
      }
    }
  }

  /** Closes connections idle too long, and forgets those closed by others (watchdog, shutdown). */
  private void sweep(long now) throws IOException, InterruptedException {
    for (Attached a : List.copyOf(attached)) {
      if (a.connection.isClosed()) {
        end(a, null);
      } else if (!a.key.isValid() && !serve(a, a.key)) {
        handOver(List.of(a));
      } else if (a.out == null && now - a.lastReadNanos > idleTimeout.toNanos()) {
        end(a, "closing a client connection idle for " + idleTimeout);
      }
    }
  }

  private void end(Attached a, String why) {
    if (why != null) {
      log.debug(why);
    }
    a.key.cancel();
    attached.remove(a);
    a.connection.close();
    a.connection.ended();
  }

  /** A connection on the loop: its unserved input, its unwritten reply, its last read. */
  private static final class Attached {
    final Connection connection;
    SelectionKey key;
    byte[] buffer = new byte[512];
    int start;
    int unread;
    int scanned;
    ByteBuffer out;
    long lastReadNanos;
    boolean inputEnded;
    List<FileDescriptor> files = List.of();

    Attached(Connection connection, long nowNanos) {
      this.connection = connection;
      this.lastReadNanos = nowNanos;
    }

    void append(byte[] bytes, int n) {
      if (start + unread + n > buffer.length) {
        byte[] bigger =
            unread + n > buffer.length ? new byte[Math.max(unread + n, buffer.length * 2)] : buffer;
        System.arraycopy(buffer, start, bigger, 0, unread);
        scanned -= start;
        start = 0;
        buffer = bigger;
      }
      System.arraycopy(bytes, 0, buffer, start + unread, n);
      unread += n;
    }

    /** The index in {@code buffer} of the next line's {@code '\n'}, or -1. */
    int newline() {
      int end = start + unread;
      for (int i = Math.max(scanned, start); i < end; i++) {
        if (buffer[i] == '\n') {
          scanned = i;
          return i;
        }
      }
      scanned = end;
      return -1;
    }

    void consume(int upTo) {
      unread -= upTo - start;
      start = upTo;
    }
  }
}
