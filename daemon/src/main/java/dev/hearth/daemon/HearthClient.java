package dev.hearth.daemon;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.daemon.internal.rpc.LineReader;
import dev.hearth.daemon.internal.rpc.Wire;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A connection to a hearth daemon's socket. Requests are sent one at a time (callers on several
 * threads take turns). Notifications the daemon sends before a response go to the request's {@link
 * NotificationListener}, or are skipped when it has none; blank lines (the daemon's keepalives
 * during a quiet stream) are skipped.
 *
 * <p>The client uses the JDK's Unix sockets rather than junixsocket: it needs no peer credentials,
 * starts without a native library, and, unlike junixsocket, keeps the socket readable after a
 * failed write, so that it can read why the daemon refused it.
 */
public final class HearthClient implements AutoCloseable {
  /** The protocol version this client speaks; the daemon must report the same. */
  public static final int PROTOCOL_VERSION = 1;

  private static final NotificationListener IGNORE = (method, paramsJson) -> {};

  private final Path socketPath;
  private final SocketChannel channel;
  private final LineReader in;
  private long nextId = 1;

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
    SocketChannel channel = null;
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      closeQuietly(channel);
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

  public VersionInfo version() {
    return Wire.versionInfo(request("daemon.version", null));
  }

  /** Runs the doctor checks in the daemon. */
  public DoctorReport doctor() {
    return Wire.doctorReport(request("daemon.doctor", null));
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
    JsonNode params = null;
    if (paramsJson != null && !paramsJson.isBlank()) {
      try {
        params = Wire.MAPPER.readTree(paramsJson);
      } catch (JacksonException e) {
        throw new IllegalArgumentException(
            "the params of " + method + " are not valid JSON: " + e.getOriginalMessage(), e);
      }
    }
    return request(method, params, listener).toString();
  }

  private JsonNode request(String method, JsonNode params) {
    return request(method, params, IGNORE);
  }

  private synchronized JsonNode request(
      String method, JsonNode params, NotificationListener listener) {
    long id = nextId++;
    ObjectNode request = Wire.object().put("jsonrpc", "2.0").put("id", id).put("method", method);
    if (params != null) {
      request.set("params", params);
    }
    byte[] line = Wire.bytes(request);
    if (line.length > Wire.MAX_LINE_BYTES) {
      throw new IllegalArgumentException(
          "the request for "
              + method
              + " is "
              + line.length
              + " bytes, more than the limit of "
              + Wire.MAX_LINE_BYTES);
    }
    try {
      byte[] framed = new byte[line.length + 1];
      System.arraycopy(line, 0, framed, 0, line.length);
      framed[line.length] = '\n';
      ByteBuffer buffer = ByteBuffer.wrap(framed);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    } catch (IOException e) {
      // The daemon may have refused us (busy) and closed before reading: its reply explains why.
      JsonNode reply = readReplyAfterFailedWrite(e);
      return result(reply, method);
    }
    return result(readReply(id, listener), method);
  }

  private JsonNode readReplyAfterFailedWrite(IOException writeFailure) {
    try {
      JsonNode reply = readLine();
      if (reply != null && reply.has("error")) {
        return reply;
      }
    } catch (IOException | DaemonException e) {
      writeFailure.addSuppressed(e);
    }
    throw unavailable(socketPath, writeFailure);
  }

  private JsonNode readReply(long id, NotificationListener listener) {
    while (true) {
      JsonNode reply;
      try {
        reply = readLine();
      } catch (IOException e) {
        throw unavailable(socketPath, e);
      }
      if (reply == null) {
        throw new DaemonUnavailableException(
            socketPath, "the hearth daemon at " + socketPath + " closed the connection", null);
      }
      if (reply.isMissingNode()) {
        continue; // a keepalive
      }
      JsonNode replyId = reply.get("id");
      if (replyId == null) {
        JsonNode notificationMethod = reply.get("method");
        if (notificationMethod != null && notificationMethod.isTextual()) {
          JsonNode params = reply.get("params");
          listener.onNotification(
              notificationMethod.textValue(), params == null ? "null" : params.toString());
        }
        continue;
      }
      boolean ours = replyId.canConvertToLong() && replyId.longValue() == id;
      if (ours || (replyId.isNull() && reply.has("error"))) {
        return reply;
      }
      throw new DaemonException(
          "the hearth daemon at "
              + socketPath
              + " answered request "
              + id
              + " with a reply for "
              + Wire.abbreviate(replyId));
    }
  }

  /** The next line as JSON (a missing node for a blank line), or null at the end of the stream. */
  private JsonNode readLine() throws IOException {
    LineReader.Status status = in.next();
    switch (status) {
      case LINE:
        try {
          byte[] line = in.line();
          if (new String(line, StandardCharsets.UTF_8).isBlank()) {
            return MissingNode.getInstance();
          }
          return Wire.MAPPER.readTree(line);
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

  private JsonNode result(JsonNode reply, String method) {
    JsonNode error = reply.get("error");
    if (error != null) {
      throw new RpcException(
          error.path("code").asInt(),
          error.path("data").path("kind").asText(""),
          error.path("message").asText("(no message)"));
    }
    JsonNode result = reply.get("result");
    if (result == null) {
      throw new DaemonException(
          "the hearth daemon at "
              + socketPath
              + " answered "
              + method
              + " with neither a result nor an error");
    }
    return result;
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

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new DaemonException("closing the connection to " + socketPath + " failed: " + e, e);
    }
  }
}
