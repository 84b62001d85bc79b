package dev.hearth.core.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The byte streams of one request with an id, on the connection it came on (ARCHITECTURE.md,
 * "Streams"): output goes to the client as {@code stream.output} notifications, and the client's
 * {@code session.write} notifications carrying {@code "stream": <this request's id>} come back as
 * {@link #input()}, resizes and EOF. A client that disconnects cancels the stream.
 *
 * <p>Nothing is buffered without bound: an output write blocks until the connection took it, and at
 * most {@link #MAX_QUEUED_CHUNKS} input chunks wait for the handler; past that the connection stops
 * reading, so a client sending faster than the guest reads is slowed down by its socket.
 */
public final class RequestStream {
  /** The notification carrying output: {@code {"stream": id, "fd": 1|2, "data": base64}}. */
  public static final String OUTPUT_METHOD = "stream.output";

  /** The notification carrying input: {@code {"stream": id, "data"|"eof"|"resize": ...}}. */
  public static final String INPUT_METHOD = "session.write";

  /** Most bytes of output in one notification: base64 of it stays far below the line limit. */
  public static final int MAX_CHUNK_BYTES = 256 * 1024;

  /** Input chunks that may wait for the handler before the connection stops reading. */
  static final int MAX_QUEUED_CHUNKS = 4;

  /** Longest request id (as JSON text) a stream accepts, so that its notifications stay small. */
  public static final int MAX_ID_CHARS = 1024;

  /** A terminal size change sent by the client. */
  @FunctionalInterface
  public interface ResizeListener {
    void resized(int cols, int rows);
  }

  private final JsonNode id;
  private final NotificationSink sink;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<byte[]> queued = new ArrayDeque<>();
  private final List<Runnable> cancelActions = new CopyOnWriteArrayList<>();
  private final InputStream input = new Input();
  private boolean inputEnded;
  private boolean cancelled;
  private boolean ended;
  private ResizeListener resizeListener;
  private int[] pendingResize;
  private final PassedFiles files;

  RequestStream(JsonNode id, NotificationSink sink) {
    this(id, sink, PassedFiles.none());
  }

  RequestStream(JsonNode id, NotificationSink sink, PassedFiles files) {
    this.id = id;
    this.sink = sink;
    this.files = files;
  }

  /** The open files the client passed with this request (none for most requests). */
  public PassedFiles files() {
    return files;
  }

  /** The request's id, which names the stream in both directions. */
  public JsonNode id() {
    return id;
  }

  /**
   * Where output for the client's file descriptor {@code fd} (1 stdout, 2 stderr) is written. A
   * write sends at once (no buffering) in chunks of at most {@link #MAX_CHUNK_BYTES}, blocks while
   * the client is slow, and fails with an IOException once the client has gone.
   */
  public OutputStream output(int fd) {
    if (fd != 1 && fd != 2) {
      throw new IllegalArgumentException("fd must be 1 or 2, not " + fd);
    }
    return new Output(fd);
  }

  /**
   * The client's input: its data in order, then end of stream after its {@code eof}. A read fails
   * with an IOException once the client has gone.
   */
  public InputStream input() {
    return input;
  }

  /** Sets where resizes go; one sent before this call is delivered at once. */
  public void onResize(ResizeListener listener) {
    int[] pending;
    lock.lock();
    try {
      resizeListener = listener;
      pending = pendingResize;
      pendingResize = null;
    } finally {
      lock.unlock();
    }
    if (pending != null) {
      listener.resized(pending[0], pending[1]);
    }
  }

  /**
   * Runs {@code action} when the client disconnects (on the connection's thread), or at once if it
   * already has. The action must not block: close the guest channel, for instance.
   */
  public void onCancel(Runnable action) {
    cancelActions.add(action);
    boolean now;
    lock.lock();
    try {
      now = cancelled;
    } finally {
      lock.unlock();
    }
    if (now && cancelActions.remove(action)) {
      action.run();
    }
  }

  /** Whether the client has disconnected. */
  public boolean cancelled() {
    lock.lock();
    try {
      return cancelled;
    } finally {
      lock.unlock();
    }
  }

  // ---- the connection's side ----

  /**
   * Takes one input message's params. Blocks while {@link #MAX_QUEUED_CHUNKS} chunks wait.
   *
   * @return why the message was refused, if it was
   */
  Optional<String> deliver(JsonNode params) throws InterruptedException {
    byte[] data = null;
    JsonNode dataNode = params.get("data");
    if (dataNode != null) {
      if (!dataNode.isTextual()) {
        return Optional.of("\"data\" must be a base64 string");
      }
      try {
        data = Base64.getDecoder().decode(dataNode.textValue());
      } catch (IllegalArgumentException e) {
        return Optional.of("\"data\" is not valid base64: " + e.getMessage());
      }
    }
    JsonNode eof = params.get("eof");
    if (eof != null && !eof.isBoolean()) {
      return Optional.of("\"eof\" must be true or false");
    }
    JsonNode resize = params.get("resize");
    int[] size = null;
    if (resize != null) {
      int cols = resize.path("cols").asInt(-1);
      int rows = resize.path("rows").asInt(-1);
      if (!resize.path("cols").isIntegralNumber()
          || !resize.path("rows").isIntegralNumber()
          || cols < 1
          || rows < 1
          || cols > 65535
          || rows > 65535) {
        return Optional.of("\"resize\" must be {\"cols\": 1..65535, \"rows\": 1..65535}");
      }
      size = new int[] {cols, rows};
    }
    if (data != null && data.length > 0) {
      enqueue(data);
    }
    if (eof != null && eof.booleanValue()) {
      endInput();
    }
    if (size != null) {
      resize(size);
    }
    return Optional.empty();
  }

  /** The client disconnected: wakes readers and writers and runs the cancel actions. */
  void cancel() {
    lock.lock();
    try {
      if (cancelled) {
        return;
      }
      cancelled = true;
      queued.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    for (Runnable action : cancelActions) {
      if (cancelActions.remove(action)) {
        action.run();
      }
    }
  }

  /** The request has finished: input still queued or arriving is dropped. */
  void end() {
    files.closeRest();
    lock.lock();
    try {
      ended = true;
      queued.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void enqueue(byte[] data) throws InterruptedException {
    lock.lock();
    try {
      while (queued.size() >= MAX_QUEUED_CHUNKS && !ended && !cancelled) {
        changed.await();
      }
      if (!ended && !cancelled && !inputEnded) {
        queued.add(data);
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  private void endInput() {
    lock.lock();
    try {
      inputEnded = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void resize(int[] size) {
    ResizeListener listener;
    lock.lock();
    try {
      listener = resizeListener;
      if (listener == null) {
        pendingResize = size;
      }
    } finally {
      lock.unlock();
    }
    if (listener != null) {
      listener.resized(size[0], size[1]);
    }
  }

  private final class Input extends InputStream {
    private byte[] current = new byte[0];
    private int position;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (position == current.length) {
        if (!take()) {
          return -1;
        }
      }
      int n = Math.min(len, current.length - position);
      System.arraycopy(current, position, b, off, n);
      position += n;
      return n;
    }

    /** Waits for the next chunk; false at end of input. */
    private boolean take() throws IOException {
      lock.lock();
      try {
        while (queued.isEmpty() && !inputEnded && !cancelled && !ended) {
          changed.await();
        }
        if (cancelled) {
          throw new IOException("the client of stream " + id + " disconnected");
        }
        if (queued.isEmpty()) {
          return false;
        }
        current = queued.poll();
        position = 0;
        changed.signalAll();
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for input of stream " + id);
      } finally {
        lock.unlock();
      }
    }
  }

  private final class Output extends OutputStream {
    private final int fd;

    Output(int fd) {
      this.fd = fd;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (cancelled()) {
          throw new IOException("the client of stream " + id + " disconnected");
        }
        int n = Math.min(len, MAX_CHUNK_BYTES);
        ObjectNode params = Wire.object();
        params.set("stream", id);
        params.put("fd", fd);
        params.put("data", Base64.getEncoder().encodeToString(Arrays.copyOfRange(b, off, off + n)));
        sink.send(OUTPUT_METHOD, params);
        off += n;
        len -= n;
      }
    }
  }
}
