package dev.hearth.daemon.internal.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.Reply;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.DaemonUnavailableException;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VersionInfo;
import dev.hearth.daemon.internal.rpc.DaemonJson;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The line client under {@link RemoteHearth}: requests on a connection to a hearth daemon's socket
 * ({@link DaemonLine}), with raw JSON text in and out. Requests are sent one at a time (callers on
 * several threads take turns). Notifications the daemon sends before a response go to the request's
 * {@link NotificationListener}, or are skipped when it has none; blank lines (the daemon's
 * keepalives during a quiet stream) are skipped. Every failure is a {@link HearthException}; an
 * error the daemon answered with carries its wire code.
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

  private final DaemonLine line;
  private long nextId = 1;
  private Stream openStream;
  private VersionInfo daemon;

  private HearthClient(DaemonLine line) {
    this.line = line;
  }

  /**
   * Connects to the daemon at {@code socket} and checks that it speaks {@link #PROTOCOL_VERSION}.
   *
   * @throws DaemonUnavailableException when no daemon answers there
   * @throws ProtocolMismatchException when the daemon speaks another protocol version
   * @throws HearthException when the daemon refuses the client (not authorised, busy)
   */
  public static HearthClient connect(Path socket) {
    return connect(DaemonLine.connect(socket));
  }

  /**
   * Connects as {@link #connect} does, on a channel that can also pass open files with a request
   * ({@link #callWithFiles}).
   */
  public static HearthClient connectPassingFiles(Path socket) {
    return connect(DaemonLine.connectPassingFiles(socket));
  }

  private static HearthClient connect(DaemonLine line) {
    Path socket = line.socket();
    HearthClient client = new HearthClient(line);
    try {
      VersionInfo daemon = client.fetchVersion();
      client.daemon = daemon;
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

  /**
   * What the daemon said about itself when this client connected: a daemon does not change while a
   * connection to it lasts, so {@code hearth version} needs no second round trip.
   */
  public VersionInfo version() {
    return daemon;
  }

  /** Asks the daemon about itself (read without building a JSON tree: every connect runs it). */
  private VersionInfo fetchVersion() {
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
   * @throws HearthException when the daemon answers with an error (with its wire code)
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
   * @throws HearthException when the daemon answers with an error (with its wire code)
   */
  public String call(String method, String paramsJson, NotificationListener listener) {
    return request(method, parseParams(method, paramsJson), listener).result().toString();
  }

  /**
   * Sends a request that passes open files with its line (SCM_RIGHTS); the params name them by
   * their index in {@code files}. Only on a client from {@link #connectPassingFiles}.
   *
   * @return the result as JSON text
   * @throws IllegalStateException on a client from {@link #connect}
   * @throws HearthException when the daemon answers with an error (with its wire code)
   */
  public synchronized String callWithFiles(
      String method, String paramsJson, List<FileDescriptor> files) {
    requireNoStream(method);
    long id = nextId++;
    byte[] request = requestLine(id, method, parseParams(method, paramsJson));
    try {
      line.attach(files);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(method + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw line.unavailable(e);
    }
    try {
      line.write(request);
    } catch (IOException e) {
      return line.successful(line.readAfterFailedWrite(e), method).result().toString();
    }
    return line.successful(line.readReply(id, note -> {}), method).result().toString();
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

  /** Sends a request and returns its successful reply, whose result the caller reads. */
  private synchronized Reply request(
      String method, JsonNode params, NotificationListener listener) {
    requireNoStream(method);
    long id = nextId++;
    try {
      line.write(requestLine(id, method, params));
    } catch (IOException e) {
      // The daemon may have refused us (busy) and closed before reading: its reply explains why.
      return line.successful(line.readAfterFailedWrite(e), method);
    }
    DaemonLine.NotificationHandler notifications =
        listener == IGNORE
            ? note -> {}
            : note -> {
              JsonNode noteParams = note.params();
              listener.onNotification(
                  note.method(), noteParams == null ? "null" : noteParams.toString());
            };
    return line.successful(line.readReply(id, notifications), method);
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
      line.write(requestLine(id, method, params));
    } catch (IOException e) {
      line.successful(line.readAfterFailedWrite(e), method);
      throw line.unavailable(e);
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
        line.write(Wire.bytes(note));
      } catch (IOException e) {
        throw line.unavailable(e);
      }
    }

    /**
     * Reads the stream to its end, handing output and notifications to the listener on this thread,
     * and returns the result as JSON text.
     *
     * @throws HearthException when the daemon answers with an error (with its wire code)
     * @throws DaemonUnavailableException when the connection is lost
     */
    public String awaitResult() {
      try {
        Reply reply =
            line.readReply(
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
        return line.successful(reply, method).result().toString();
      } finally {
        end();
      }
    }

    private byte[] decode(JsonNode params) {
      try {
        return Base64.getDecoder().decode(params.path("data").asText(""));
      } catch (IllegalArgumentException e) {
        throw line.malformed("sent output that is not base64: " + e);
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
    line.close();
  }
}
