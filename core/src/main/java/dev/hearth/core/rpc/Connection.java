package dev.hearth.core.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.hearth.core.Clock;
import java.io.ByteArrayInputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection. It starts on the {@link ConnectionLoop}, which answers the requests that
 * answer at once; from its first other request on it is served here, on a thread of its own that
 * reads lines all the time, while requests run one after the other, in order, on a thread of the
 * {@code requests} executor, so that while one runs the client can still send stream input ({@code
 * session.write} notifications with a {@code stream} key), which goes to that request's {@link
 * RequestStream}. Any other line sent while a request runs waits until that request has been
 * answered. A client that disconnects cancels the running request's stream. Reads time out after
 * the idle timeout, but only while no request runs: a stream (such as {@code vm logs --follow}) may
 * stay quiet on the client's side as long as the client reads what the daemon writes, its data and
 * its keep-alive lines. Every write records when it started, so that {@link RpcServer}'s watchdog
 * can close the connection of a client that stops reading.
 */
final class Connection implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  private final AFUNIXSocket socket;
  private final PeerCredentials peer;
  private final Optional<String> refusal;
  private final Consumer<Connection> onEnd;
  private final AtomicBoolean ended = new AtomicBoolean();
  private final Clock clock;
  private final JsonRpcProtocol protocol;
  private final Duration idleTimeout;
  private final Executor requests;
  private final Object writeLock = new Object();
  private final Object stateLock = new Object();
  private RequestStream running;
  private boolean requestRunning;
  private boolean stopping;
  private volatile boolean writing;
  private volatile long writeStartedNanos;

  Connection(
      AFUNIXSocket socket,
      PeerCredentials peer,
      Optional<String> refusal,
      JsonRpcProtocol protocol,
      Duration idleTimeout,
      Executor requests,
      Clock clock,
      Consumer<Connection> onEnd) {
    this.socket = socket;
    this.peer = peer;
    this.refusal = refusal;
    this.onEnd = onEnd;
    this.clock = clock;
    this.protocol = protocol;
    this.idleTimeout = idleTimeout;
    this.requests = requests;
  }

  /** Whether the authorizer refused the peer: the answer to its first line says why. */
  boolean refused() {
    return refusal.isPresent();
  }

  @Override
  public void run() {
    serveAfter(new byte[0], List.of());
  }

  /**
   * Serves the connection on this thread until it ends, starting with {@code unread} (bytes the
   * client sent that the event loop did not serve) and {@code files} (descriptors that came with
   * them).
   */
  void serveAfter(byte[] unread, List<FileDescriptor> files) {
    try {
      socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, idleTimeout.toMillis())));
      serve(
          new SequenceInputStream(new ByteArrayInputStream(unread), socket.getInputStream()),
          files);
    } catch (InterruptedException e) {
      // Forced shutdown: the daemon is closing this connection.
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      log.debug("client connection ended: {}", e.toString());
    } finally {
      // Nothing more can come from the client: a running stream is cancelled, and the connection
      // stays open until its request has answered (a non-streaming request runs to its end).
      cancelRunningStream();
      awaitNoRequest();
      closeUnclaimedFiles();
      close();
      ended();
    }
  }

  /** Tells the server the connection is gone (its slot is free); runs once, whoever calls it. */
  void ended() {
    if (ended.compareAndSet(false, true)) {
      onEnd.accept(this);
    }
  }

  AFUNIXSocketChannel channel() {
    return socket.getChannel();
  }

  /** Descriptors that came with a line that never ended (the client went): nobody takes them. */
  private void closeUnclaimedFiles() {
    try {
      new PassedFiles(PassedFiles.asList(socket.getReceivedFileDescriptors())).closeRest();
    } catch (IOException e) {
      log.debug("cannot read the descriptors left on a client connection: {}", e.toString());
    }
  }

  private void serve(InputStream in, List<FileDescriptor> carriedFiles)
      throws IOException, InterruptedException {
    List<FileDescriptor> carried = carriedFiles;
    OutputStream out = socket.getOutputStream();
    LineReader reader = new LineReader(in, Wire.MAX_LINE_BYTES);
    NotificationSink sink = sink(out);
    while (true) {
      LineReader.Status status;
      try {
        status = reader.next();
      } catch (SocketTimeoutException e) {
        if (isRequestRunning()) {
          continue; // the idle timeout does not apply while a request (a stream) runs
        }
        log.debug("closing a client connection idle for {}", idleTimeout);
        return;
      }
      switch (status) {
        case EOF:
          return;
        case EOF_MID_LINE:
          log.debug("a client disconnected in the middle of a request");
          return;
        case TOO_LONG:
          write(
              out,
              JsonRpcProtocol.errorReply(
                  NullNode.instance,
                  ProtocolError.INVALID_REQUEST.error(
                      "the request line is longer than the limit of "
                          + Wire.MAX_LINE_BYTES
                          + " bytes (1 MiB); closing the connection")));
          return;
        default:
          break;
      }
      byte[] line = reader.line();
      // Descriptors arrive with the first bytes of the request that passes them (ARCHITECTURE.md,
      // Decisions, "Files from clients"): those read until its line ends belong to it.
      PassedFiles files =
          new PassedFiles(PassedFiles.join(carried, socket.getReceivedFileDescriptors()));
      carried = List.of();
      if (refusal.isPresent()) {
        files.closeRest();
        RpcError error = ProtocolError.UNAUTHORIZED.error(refusal.get());
        write(out, JsonRpcProtocol.errorReply(JsonRpcProtocol.idOf(line), error));
        return;
      }
      Optional<JsonNode> input = JsonRpcProtocol.streamInput(line);
      if (input.isPresent()) {
        files.closeRest();
        routeInput(input.get(), out);
        continue;
      }
      awaitNoRequest();
      if (!startRequest(line, out, sink, files)) {
        return;
      }
    }
  }

  /** Hands a {@code session.write} with a {@code stream} key to the running stream it names. */
  private void routeInput(JsonNode message, OutputStream out)
      throws IOException, InterruptedException {
    JsonNode params = message.path("params");
    JsonNode id = message.get("id");
    RequestStream stream;
    synchronized (stateLock) {
      stream = running;
    }
    Optional<String> rejection;
    if (id != null) {
      rejection =
          Optional.of(
              "stream input is sent as a notification (no \"id\"): it gets no reply, and the"
                  + " stream's own response reports the outcome");
    } else if (stream == null || !stream.id().equals(params.get("stream"))) {
      // Input for a stream that has just ended is normal: the client could not know yet.
      log.debug("dropped input for stream {}, which is not running", params.get("stream"));
      return;
    } else {
      rejection = stream.deliver(params);
    }
    if (rejection.isEmpty()) {
      return;
    }
    if (id == null) {
      log.warn("dropped malformed input for stream {}: {}", params.get("stream"), rejection.get());
      return;
    }
    write(
        out,
        JsonRpcProtocol.errorReply(
            id.isValueNode() ? id : NullNode.instance,
            ProtocolError.INVALID_REQUEST.error(
                RequestStream.INPUT_METHOD + " with \"stream\": " + rejection.get())));
  }

  /** Runs one request line on the requests executor; false when the connection is stopping. */
  private boolean startRequest(
      byte[] line, OutputStream out, NotificationSink sink, PassedFiles files) {
    JsonNode id = JsonRpcProtocol.idOf(line);
    if (id.isNull()) {
      files.closeRest();
    }
    RequestStream stream = id.isNull() ? null : new RequestStream(id, sink, files);
    synchronized (stateLock) {
      if (stopping) {
        files.closeRest();
        return false;
      }
      requestRunning = true;
      running = stream;
    }
    try {
      requests.execute(() -> serveRequest(line, out, sink, stream));
      return true;
    } catch (RejectedExecutionException e) {
      files.closeRest();
      endRequest();
      return false;
    }
  }

  private void serveRequest(
      byte[] line, OutputStream out, NotificationSink sink, RequestStream stream) {
    try {
      Optional<byte[]> reply = protocol.handle(line, sink, stream);
      if (reply.isPresent()) {
        write(out, reply.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      log.debug("could not answer a client: {}", e.toString());
    } finally {
      if (stream != null) {
        stream.end();
      }
      endRequest();
    }
  }

  private void endRequest() {
    boolean closeNow;
    synchronized (stateLock) {
      requestRunning = false;
      running = null;
      stateLock.notifyAll();
      closeNow = stopping;
    }
    if (closeNow) {
      close();
    }
  }

  private boolean isRequestRunning() {
    synchronized (stateLock) {
      return requestRunning;
    }
  }

  /** Waits until no request runs; gives up (flag set) when interrupted. */
  private void awaitNoRequest() {
    synchronized (stateLock) {
      while (requestRunning) {
        try {
          stateLock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void cancelRunningStream() {
    RequestStream stream;
    synchronized (stateLock) {
      stream = running;
    }
    if (stream != null) {
      stream.cancel();
    }
  }

  /** Closes the connection now if it waits for a request, else after the running one. */
  void stopAfterCurrentRequest() {
    synchronized (stateLock) {
      stopping = true;
      if (!requestRunning) {
        close();
      }
    }
  }

  /**
   * Whether {@link #close} ran. (Its channel's {@code isOpen} stays true when the socket is closed
   * under it: junixsocket closes the descriptor, not the channel object.)
   */
  boolean isClosed() {
    return socket.isClosed();
  }

  /** Closes the connection now. */
  void close() {
    try {
      socket.close();
    } catch (IOException e) {
      log.debug("closing a client connection failed: {}", e.toString());
    }
  }

  PeerCredentials peer() {
    return peer;
  }

  /** Whether a write has been blocked since before {@code now - timeout}. */
  boolean writeBlockedLongerThan(Duration timeout, long nowNanos) {
    return writing && nowNanos - writeStartedNanos > timeout.toNanos();
  }

  private NotificationSink sink(OutputStream out) {
    return new NotificationSink() {
      @Override
      public void send(String method, JsonNode params) throws IOException {
        write(out, JsonRpcProtocol.notification(method, params));
      }

      @Override
      public void keepAlive() throws IOException {
        write(out, new byte[0]);
      }
    };
  }

  /** The event loop could not write a whole reply at once: the watchdog times it from now. */
  void writeBlockedSince(long nanos) {
    writeStartedNanos = nanos;
    writing = true;
  }

  /** The event loop's pending reply is written. */
  void writeUnblocked() {
    writing = false;
  }

  /** Writes one line; lines from the reader and the request's threads never interleave. */
  private void write(OutputStream out, byte[] line) throws IOException {
    byte[] framed = new byte[line.length + 1];
    System.arraycopy(line, 0, framed, 0, line.length);
    framed[line.length] = '\n';
    synchronized (writeLock) {
      writeStartedNanos = clock.nanoTime();
      writing = true;
      try {
        out.write(framed);
        out.flush();
      } finally {
        writing = false;
      }
    }
  }
}
