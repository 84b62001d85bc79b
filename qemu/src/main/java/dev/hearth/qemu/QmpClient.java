package dev.hearth.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * QEMU's machine protocol (QMP) on one connection: the greeting, {@code qmp_capabilities}, then one
 * command at a time. Events that arrive meanwhile are skipped.
 */
final class QmpClient implements Closeable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Socket socket;
  private final BufferedReader in;
  private final OutputStream out;

  /** Reads the greeting and negotiates capabilities; {@code timeoutMillis} bounds every read. */
  QmpClient(Socket socket, int timeoutMillis) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(timeoutMillis);
    this.in =
        new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    this.out = socket.getOutputStream();
    JsonNode greeting = readMessage();
    if (!greeting.has("QMP")) {
      throw new QmpException("expected the QMP greeting, got " + greeting);
    }
    execute("qmp_capabilities");
  }

  /** Runs a command without arguments; see {@link #execute(String, ObjectNode)}. */
  synchronized JsonNode execute(String command) throws IOException {
    return execute(command, null);
  }

  /**
   * Runs a command with arguments (none when null).
   *
   * @return its {@code return} value
   * @throws QmpException when QEMU answers an error, or the connection breaks or times out
   */
  synchronized JsonNode execute(String command, ObjectNode arguments) throws IOException {
    ObjectNode request = JSON.createObjectNode();
    request.put("execute", command);
    if (arguments != null) {
      request.set("arguments", arguments);
    }
    out.write((request + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    while (true) {
      JsonNode message = readMessage();
      if (message.has("return")) {
        return message.get("return");
      }
      if (message.has("error")) {
        JsonNode error = message.get("error");
        throw new QmpException(
            "QMP "
                + command
                + " failed: "
                + error.path("class").asText("?")
                + ": "
                + error.path("desc").asText(error.toString()));
      }
      // An event ({"event": ...}): not an answer.
    }
  }

  private JsonNode readMessage() throws IOException {
    String line;
    try {
      line = in.readLine();
    } catch (SocketTimeoutException e) {
      throw new QmpException("QEMU did not answer on QMP in time", e);
    }
    if (line == null) {
      throw new QmpException("QEMU closed the QMP connection");
    }
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new QmpException("QEMU sent something that is not QMP: '" + line + "'", e);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /** QMP failed: an error answer, a broken connection or garbage. */
  static final class QmpException extends IOException {
    private static final long serialVersionUID = 1L;

    QmpException(String message) {
      super(message);
    }

    QmpException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
