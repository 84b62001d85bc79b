package dev.hearth.core.rpc;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The client side of this package's protocol, on one connection to a Unix socket: requests with raw
 * JSON text in and out, the notifications a request gets before its response, streams (output in,
 * input out as {@link RequestStream#INPUT_METHOD} notifications), and open files passed with a
 * request. Requests are sent one at a time (callers on several threads take turns); blank lines
 * (the server's keepalives during a quiet stream) are skipped. Every failure of the connection or
 * the server is the caller's own exception, made by its {@link Failures}.
 *
 * <p>It uses the JDK's Unix sockets rather than junixsocket unless it is to pass files: it needs no
 * peer credentials, starts without a native library, and, unlike junixsocket, keeps the socket
 * readable after a failed write, so that it can read why the server refused it.
 */
public final class RpcClient implements AutoCloseable {
  /**
   * The caller's exceptions for what goes wrong, so that they name its server as its users know it.
   */
  public interface Failures {
    /** Nothing accepted the connection. */
    RuntimeException cannotConnect(IOException cause);

    /** The connection broke. */
    RuntimeException lost(IOException cause);

    /** The server closed the connection before it answered. */
    RuntimeException closed();

    /** The server broke the protocol: {@code what} it did, e.g. "sent a reply that is not JSON". */
    RuntimeException malformed(String what);

    /** The server answered with an error. */
    RuntimeException error(int code, String message);

    /** Closing the connection failed. */
    RuntimeException closeFailed(IOException cause);
  }

  private static final NotificationListener IGNORE = (method, paramsJson) -> {};

  private final RpcLine line;
  private long nextId = 1;
  private Stream openStream;

  private RpcClient(RpcLine line) {
    this.line = line;
  }

  /** Connects to {@code socket}; fails with {@link Failures#cannotConnect}. */
  public static RpcClient connect(Path socket, Failures failures) {
    return new RpcClient(RpcLine.connect(socket, false, failures));
  }

  /** Connects as {@link #connect} does, on a channel that can also pass open files. */
  public static RpcClient connectPassingFiles(Path socket, Failures failures) {
    return new RpcClient(RpcLine.connect(socket, true, failures));
  }

  /**
   * Sends a raw request.
   *
   * @param paramsJson the params as JSON text; null or blank for none
   * @return the result as JSON text
   * @throws IllegalArgumentException when {@code paramsJson} is not valid JSON
   */
  public String call(String method, String paramsJson) {
    return call(method, paramsJson, IGNORE);
  }

  /**
   * Sends a raw request to a method that notifies before it answers: {@code listener} is called on
   * this thread for every notification that arrives before the response.
   *
   * @param paramsJson the params as JSON text; null or blank for none
   * @return the final result as JSON text
   * @throws IllegalArgumentException when {@code paramsJson} is not valid JSON
   */
  public String call(String method, String paramsJson, NotificationListener listener) {
    return request(method, parseParams(method, paramsJson), listener).result().toString();
  }

  /**
   * Sends a request and returns its successful reply, whose result the caller reads (e.g. with a
   * {@link Reply.SpanReader}, without building a tree). Notifications before it are dropped.
   */
  public Reply request(String method, JsonNode params) {
    return request(method, params, IGNORE);
  }

  /**
   * Sends a request that passes open files with its line (SCM_RIGHTS); the params name them by
   * their index in {@code files}. Only on a client from {@link #connectPassingFiles}.
   *
   * @return the result as JSON text
   * @throws IllegalStateException on a client from {@link #connect}
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
      throw line.failures().lost(e);
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

  private synchronized Reply request(
      String method, JsonNode params, NotificationListener listener) {
    requireNoStream(method);
    long id = nextId++;
    try {
      line.write(requestLine(id, method, params));
    } catch (IOException e) {
      // The server may have refused us (busy) and closed before reading: its reply explains why.
      return line.successful(line.readAfterFailedWrite(e), method);
    }
    RpcLine.NotificationHandler notifications =
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
   * Starts a streaming request: its output arrives through {@code listener} while {@link
   * Stream#awaitResult()} runs, and input goes back with {@link Stream#write}, {@link
   * Stream#closeInput()} and {@link Stream#resize} from any other thread. The connection serves
   * nothing else until the stream has ended.
   *
   * @param paramsJson the params as JSON text; null or blank for none
   * @throws IllegalArgumentException when {@code paramsJson} is not valid JSON
   * @throws IllegalStateException when another stream of this client is still open
   */
  public synchronized Stream openStream(String method, String paramsJson, StreamListener listener) {
    requireNoStream(method);
    JsonNode params = parseParams(method, paramsJson);
    long id = nextId++;
    try {
      line.write(requestLine(id, method, params));
    } catch (IOException e) {
      line.successful(line.readAfterFailedWrite(e), method);
      throw line.failures().lost(e);
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
   * meanwhile. Input is sent as {@link RequestStream#INPUT_METHOD} notifications with {@code
   * "stream": id}.
   */
  public final class Stream implements AutoCloseable {
    /** Most input bytes per notification: base64 of it stays far below the line limit. */
    public static final int MAX_CHUNK_BYTES = RequestStream.MAX_CHUNK_BYTES;

    private final long id;
    private final String method;
    private final StreamListener listener;
    private volatile boolean finished;

    private Stream(long id, String method, StreamListener listener) {
      this.id = id;
      this.method = method;
      this.listener = listener;
    }

    /** Sends input bytes, in chunks; blocks while the server (the guest behind it) is slower. */
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

    /** Ends the input: the reader on the other side reads end of file. */
    public void closeInput() {
      send(Wire.object().put("stream", id).put("eof", true));
    }

    /** Tells the other side's terminal its new size (with a PTY only). */
    public void resize(int cols, int rows) {
      ObjectNode params = Wire.object().put("stream", id);
      params.putObject("resize").put("cols", cols).put("rows", rows);
      send(params);
    }

    private void send(ObjectNode params) {
      if (finished) {
        return; // the stream has ended: the server would drop it anyway
      }
      ObjectNode note =
          Wire.object().put("jsonrpc", "2.0").put("method", RequestStream.INPUT_METHOD);
      note.set("params", params);
      try {
        line.write(Wire.bytes(note));
      } catch (IOException e) {
        throw line.failures().lost(e);
      }
    }

    /**
     * Reads the stream to its end, handing output and notifications to the listener on this thread,
     * and returns the result as JSON text.
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
                  if (noteMethod.equals(RequestStream.OUTPUT_METHOD)
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
        throw line.failures().malformed("sent output that is not base64: " + e);
      }
    }

    private void end() {
      finished = true;
      synchronized (RpcClient.this) {
        if (openStream == this) {
          openStream = null;
        }
      }
    }

    /**
     * Ends the stream. One that has not finished is cancelled by closing the connection (the server
     * then ends the request); this client cannot be used after that.
     */
    @Override
    public void close() {
      if (!finished) {
        end();
        RpcClient.this.close();
      }
    }
  }

  @Override
  public void close() {
    line.close();
  }
}
