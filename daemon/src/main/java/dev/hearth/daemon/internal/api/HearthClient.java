package dev.hearth.daemon.internal.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.LineReader;
import dev.hearth.core.rpc.PassedFiles;
import dev.hearth.core.rpc.Reply;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.DaemonUnavailableException;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.RpcException;
import dev.hearth.daemon.VersionInfo;
import dev.hearth.daemon.internal.rpc.DaemonJson;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The line client under {@link RemoteHearth}: a connection to a hearth daemon's socket, with raw
 * JSON text in and out. Requests are sent one at a time (callers on several threads take turns).
 * Notifications the daemon sends before a response go to the request's {@link
 * NotificationListener}, or are skipped when it has none; blank lines (the daemon's keepalives
 * during a quiet stream) are skipped.
 *
 * <p>The client uses the JDK's Unix sockets rather than junixsocket: it needs no peer credentials,
 * starts without a native library, and, unlike junixsocket, keeps the socket readable after a
 * failed write, so that it can read why the daemon refused it.
 */
public final class HearthClient implements AutoCloseable {
  /** The protocol version this client speaks; the daemon must report the same. */
  public static final int PROTOCOL_VERSION = Hearth.PROTOCOL_VERSION;

  private static final NotificationListener IGNORE = (method, paramsJson) -> {};
  private static final String STREAM_OUTPUT_METHOD = "stream.output";
  private static final String STREAM_INPUT_METHOD = "session.write";

  private final Path socketPath;
  private final SocketChannel channel;
  private final LineReader in;
  private final Object writeLock = new Object();
  private long nextId = 1;
  private Stream openStream;

  private HearthClient(Path socketPath, SocketChannel channel) {
    this.socketPath = socketPath;
    this.channel = channel;
    this.in = new LineReader(Channels.newInputStream(channel), Wire.MAX_LINE_BYTES);
  }

  /**
   * Connects to the daemon at {@code socket} and checks that it speaks {@link #PROTOCOL_VERSION}.
   *
   * @throws DaemonUnavailableException when no daemon answers there
   * @throws ProtocolMismatchException when the daemon speaks another protocol version
   * @throws RpcException when the daemon refuses the client (not authorised, busy)
   */
  public static HearthClient connect(Path socket) {
    return connect(
        socket,
        () -> {
          SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
          try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return channel;
          } catch (IOException e) {
            closeQuietly(channel);
            throw e;
          }
        });
  }

  /**
   * Connects as {@link #connect} does, on a channel that can also pass open files with a request
   * ({@link #callWithFiles}): junixsocket's, whose native library only the commands that pass files
   * load (ARCHITECTURE.md, Decisions, "Files from clients").
   */
  public static HearthClient connectPassingFiles(Path socket) {
    return connect(socket, () -> PassedFiles.connect(socket));
  }

  private interface ChannelOpener {
    SocketChannel open() throws IOException;
  }

  private static HearthClient connect(Path socket, ChannelOpener opener) {
    SocketChannel channel;
    try {
      channel = opener.open();
    } catch (IOException e) {
      throw new DaemonUnavailableException(
          socket,
          "cannot connect to the hearth daemon at "
              + socket
              + " ("
              + e.getMessage()
              + "): is it running? Start it with `hearth daemon` or `systemctl start hearth`, or"
              + " point --socket at its socket",
          e);
    }
    HearthClient client = new HearthClient(socket, channel);
    try {
      VersionInfo daemon = client.version();
      if (daemon.protocolVersion() != PROTOCOL_VERSION) {
        throw new ProtocolMismatchException(
            "the hearth daemon at "
                + socket
                + " speaks protocol version "
                + daemon.protocolVersion()
                + " (hearth "
                + daemon.version()
                + ") but this client"
                + " speaks version "
                + PROTOCOL_VERSION
                + ": use a hearth CLI of the daemon's"
                + " version, or upgrade both to the same version and restart the daemon");
      }
      return client;
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  /** Checks that the daemon answers. */
  public void ping() {
    request("daemon.ping", null);
  }

  /** What the daemon says about itself (read without building a JSON tree, as the check is). */
  public VersionInfo version() {
    return request("daemon.version", null, IGNORE).result(DaemonJson::versionInfo);
  }

  /** Runs the doctor checks in the daemon. */
  public DoctorReport doctor() {
    return DaemonJson.doctorReport(request("daemon.doctor", null));
  }

  /**
   * Sends a raw request.
   *
   * @param paramsJson the params as JSON text; null or blank for none
   * @return the result as JSON text
   * @throws IllegalArgumentException when {@code paramsJson} is not valid JSON
   * @throws RpcException when the daemon answers with an error
   */
  public String call(String method, String paramsJson) {
    return call(method, paramsJson, IGNORE);
  }

  /**
   * Sends a raw request to a streaming method ({@code op.watch}, {@code vm.logs} with {@code
   * follow}): {@code listener} is called on this thread for every notification that arrives before
   * the response.
   *
   * @param paramsJson the params as JSON text; null or blank for none
   * @return the final result as JSON text
   * @throws IllegalArgumentException when {@code paramsJson} is not valid JSON
   * @throws RpcException when the daemon answers with an error
   */
  public String call(String method, String paramsJson, NotificationListener listener) {
    return request(method, parseParams(method, paramsJson), listener).result().toString();
  }

  private static JsonNode parseParams(String method, String paramsJson) {
    if (paramsJson == null || paramsJson.isBlank()) {
      return null;
    }
    try {
      return Wire.mapper().readTree(paramsJson);
    } catch (JacksonException e) {
      throw new IllegalArgumentException(
          "the params of " + method + " are not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  private JsonNode request(String method, JsonNode params) {
    return request(method, params, IGNORE).result();
  }

  /**
   * Sends a request that passes open files with its line (SCM_RIGHTS); the params name them by
   * their index in {@code files}. Only on a client from {@link #connectPassingFiles}.
   *
   * @return the result as JSON text
   * @throws IllegalStateException on a client from {@link #connect}
   * @throws RpcException when the daemon answers with an error
   */
  public synchronized String callWithFiles(
      String method, String paramsJson, List<FileDescriptor> files) {
    requireNoStream(method);
    long id = nextId++;
    byte[] line = requestLine(id, method, parseParams(method, paramsJson));
    try {
      PassedFiles.attach(channel, files);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(method + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw unavailable(socketPath, e);
    }
    try {
      writeLine(line);
    } catch (IOException e) {
      return successful(readReplyAfterFailedWrite(e), method).result().toString();
    }
    return successful(readReply(id, note -> {}), method).result().toString();
  }

  /** Sends a request and returns its successful reply, whose result the caller reads. */
  private synchronized Reply request(
      String method, JsonNode params, NotificationListener listener) {
    requireNoStream(method);
    long id = nextId++;
    try {
      writeLine(requestLine(id, method, params));
    } catch (IOException e) {
      // The daemon may have refused us (busy) and closed before reading: its reply explains why.
      Reply reply = readReplyAfterFailedWrite(e);
      return successful(reply, method);
    }
    NotificationHandler notifications =
        listener == IGNORE
            ? note -> {}
            : note -> {
              JsonNode noteParams = note.params();
              listener.onNotification(
                  note.method(), noteParams == null ? "null" : noteParams.toString());
            };
    return successful(readReply(id, notifications), method);
  }

  /**
   * Starts a streaming request ({@code vm.exec}, {@code vm.shell}, {@code vm.copy}): its output
   * arrives through {@code listener} while {@link Stream#awaitResult()} runs, and input goes back
   * with {@link Stream#write}, {@link Stream#closeInput()} and {@link Stream#resize} from any other
   * thread. The connection serves nothing else until the stream has ended.
   *
   * @param paramsJson the params as JSON text; null or blank for none
   * @throws IllegalArgumentException when {@code paramsJson} is not valid JSON
   * @throws IllegalStateException when another stream of this client is still open
   * @throws DaemonUnavailableException when the request cannot be sent
   */
  public synchronized Stream openStream(String method, String paramsJson, StreamListener listener) {
    requireNoStream(method);
    JsonNode params = parseParams(method, paramsJson);
    long id = nextId++;
    try {
      writeLine(requestLine(id, method, params));
    } catch (IOException e) {
      Reply reply = readReplyAfterFailedWrite(e);
      successful(reply, method);
      throw unavailable(socketPath, e);
    }
    openStream = new Stream(id, method, listener);
    return openStream;
  }

  private void requireNoStream(String method) {
    if (openStream != null) {
      throw new IllegalStateException(
          "cannot send "
              + method
              + ": this connection still runs the stream of "
              + openStream.method
              + "; await its result or close it first");
    }
  }

  /**
   * The request as one line, written with the streaming generator (the same bytes as the tree
   * {@code {"jsonrpc", "id", "method", "params"}} gives), so that a request without params needs no
   * mapper.
   */
  private static byte[] requestLine(long id, String method, JsonNode params) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator request = Wire.STREAMING.createGenerator(out)) {
      request.writeStartObject();
      request.writeStringField("jsonrpc", "2.0");
      request.writeNumberField("id", id);
      request.writeStringField("method", method);
      if (params != null) {
        request.writeFieldName("params");
        Wire.mapper().writeTree(request, params);
      }
      request.writeEndObject();
    } catch (IOException e) {
      // Into memory, from a tree we hold: it cannot fail.
      throw new UncheckedIOException(e);
    }
    byte[] line = out.toByteArray();
    if (line.length > Wire.MAX_LINE_BYTES) {
      throw new IllegalArgumentException(
          "the request for "
              + method
              + " is "
              + line.length
              + " bytes, more than the limit of "
              + Wire.MAX_LINE_BYTES);
    }
    return line;
  }

  private void writeLine(byte[] line) throws IOException {
    byte[] framed = new byte[line.length + 1];
    System.arraycopy(line, 0, framed, 0, line.length);
    framed[line.length] = '\n';
    ByteBuffer buffer = ByteBuffer.wrap(framed);
    synchronized (writeLock) {
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    }
  }

  private Reply readReplyAfterFailedWrite(IOException writeFailure) {
    try {
      Reply reply = readLine();
      if (reply != null && reply.hasError()) {
        return reply;
      }
    } catch (IOException | DaemonException e) {
      writeFailure.addSuppressed(e);
    }
    throw unavailable(socketPath, writeFailure);
  }

  /** Where {@link #readReply} hands a notification (an object with a textual method). */
  private interface NotificationHandler {
    void handle(Reply notification);
  }

  private Reply readReply(long id, NotificationHandler notifications) {
    while (true) {
      Reply reply;
      try {
        reply = readLine();
      } catch (IOException e) {
        throw unavailable(socketPath, e);
      }
      if (reply == null) {
        throw new DaemonUnavailableException(
            socketPath, "the hearth daemon at " + socketPath + " closed the connection", null);
      }
      if (reply.isIgnorable()) {
        continue; // a keepalive, or a line that is neither a response nor a notification
      }
      if (reply.isNotification()) {
        notifications.handle(reply);
        continue;
      }
      if (reply.answers(id)) {
        return reply;
      }
      throw new DaemonException(
          "the hearth daemon at "
              + socketPath
              + " answered request "
              + id
              + " with a reply for "
              + reply.idText());
    }
  }

  /** The next line ({@link Reply#KEEPALIVE} for a blank one), or null at the end of the stream. */
  private Reply readLine() throws IOException {
    LineReader.Status status = in.next();
    switch (status) {
      case LINE:
        try {
          byte[] line = in.line();
          if (new String(line, StandardCharsets.UTF_8).isBlank()) {
            return Reply.KEEPALIVE;
          }
          return Reply.parse(line);
        } catch (JacksonException e) {
          throw new DaemonException(
              "the hearth daemon at "
                  + socketPath
                  + " sent a reply that is not JSON: "
                  + e.getOriginalMessage(),
              e);
        }
      case TOO_LONG:
        throw new DaemonException(
            "the hearth daemon at "
                + socketPath
                + " sent a reply longer than "
                + Wire.MAX_LINE_BYTES
                + " bytes");
      default:
        return null;
    }
  }

  /** The reply when it has a result; else what its error says, as an exception. */
  private Reply successful(Reply reply, String method) {
    if (reply.hasError()) {
      JsonNode error = reply.error();
      throw new RpcException(
          error.path("code").asInt(),
          error.path("data").path("kind").asText(""),
          error.path("message").asText("(no message)"));
    }
    if (!reply.hasResult()) {
      throw new DaemonException(
          "the hearth daemon at "
              + socketPath
              + " answered "
              + method
              + " with neither a result nor an error");
    }
    return reply;
  }

  private static DaemonUnavailableException unavailable(Path socket, IOException e) {
    return new DaemonUnavailableException(
        socket, "lost the connection to the hearth daemon at " + socket + ": " + e.getMessage(), e);
  }

  private static void closeQuietly(SocketChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // It never connected; there is nothing to report.
    }
  }

  /**
   * A streaming request in flight. {@link #awaitResult()} reads its output on the calling thread;
   * {@link #write}, {@link #closeInput()} and {@link #resize} may be called from other threads
   * meanwhile. Input is sent as {@code session.write} notifications with {@code "stream": id}.
   */
  public final class Stream implements AutoCloseable {
    /** Most input bytes per notification: base64 of it stays far below the line limit. */
    public static final int MAX_CHUNK_BYTES = 256 * 1024;

    private final long id;
    private final String method;
    private final StreamListener listener;
    private volatile boolean finished;

    private Stream(long id, String method, StreamListener listener) {
      this.id = id;
      this.method = method;
      this.listener = listener;
    }

    /** Sends input bytes, in chunks; blocks while the daemon (the guest) is slower. */
    public void write(byte[] data, int offset, int length) {
      while (length > 0) {
        int n = Math.min(length, MAX_CHUNK_BYTES);
        ObjectNode params = Wire.object().put("stream", id);
        params.put(
            "data",
            Base64.getEncoder().encodeToString(Arrays.copyOfRange(data, offset, offset + n)));
        send(params);
        offset += n;
        length -= n;
      }
    }

    /** Sends all of {@code data}. */
    public void write(byte[] data) {
      write(data, 0, data.length);
    }

    /** Ends the input: the guest command reads end of file. */
    public void closeInput() {
      send(Wire.object().put("stream", id).put("eof", true));
    }

    /** Tells the guest's terminal its new size (with a PTY only). */
    public void resize(int cols, int rows) {
      ObjectNode params = Wire.object().put("stream", id);
      params.putObject("resize").put("cols", cols).put("rows", rows);
      send(params);
    }

    private void send(ObjectNode params) {
      if (finished) {
        return; // the stream has ended: the daemon would drop it anyway
      }
      ObjectNode note = Wire.object().put("jsonrpc", "2.0").put("method", STREAM_INPUT_METHOD);
      note.set("params", params);
      try {
        writeLine(Wire.bytes(note));
      } catch (IOException e) {
        throw unavailable(socketPath, e);
      }
    }

    /**
     * Reads the stream to its end, handing output and notifications to the listener on this thread,
     * and returns the result as JSON text.
     *
     * @throws RpcException when the daemon answers with an error
     * @throws DaemonUnavailableException when the connection is lost
     */
    public String awaitResult() {
      try {
        Reply reply =
            readReply(
                id,
                note -> {
                  String noteMethod = note.method();
                  JsonNode noteParams = note.params();
                  JsonNode params = noteParams == null ? MissingNode.getInstance() : noteParams;
                  if (noteMethod.equals(STREAM_OUTPUT_METHOD)
                      && params.path("stream").canConvertToLong()
                      && params.path("stream").longValue() == id) {
                    listener.onOutput(params.path("fd").asInt(), decode(params));
                  } else {
                    listener.onNotification(noteMethod, params.toString());
                  }
                });
        return successful(reply, method).result().toString();
      } finally {
        end();
      }
    }

    private byte[] decode(JsonNode params) {
      try {
        return Base64.getDecoder().decode(params.path("data").asText(""));
      } catch (IllegalArgumentException e) {
        throw new DaemonException(
            "the hearth daemon at " + socketPath + " sent output that is not base64: " + e, e);
      }
    }

    private void end() {
      finished = true;
      synchronized (HearthClient.this) {
        if (openStream == this) {
          openStream = null;
        }
      }
    }

    /**
     * Ends the stream. One that has not finished is cancelled by closing the connection (the daemon
     * then closes the guest's channel); this client cannot be used after that.
     */
    @Override
    public void close() {
      if (!finished) {
        end();
        HearthClient.this.close();
      }
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new DaemonException("closing the connection to " + socketPath + " failed: " + e, e);
    }
  }
}
