package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A minimal client of Firefox's Marionette protocol, the one geckodriver translates WebDriver into:
 * Debian packages no geckodriver, and none can be fetched where the suite runs, so the Firefox test
 * speaks to Firefox directly. A message is {@code <length>:<JSON>}; a command is {@code [0, id,
 * name, params]} and its answer {@code [1, id, error, result]}. Every read has a deadline.
 */
final class Marionette implements AutoCloseable {
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final int MAX_MESSAGE_BYTES = 64 << 20;

  /** An error answer to a command (the connection itself is fine). */
  static final class CommandFailed extends IOException {
    private static final long serialVersionUID = 1L;

    CommandFailed(String message) {
      super(message);
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private int nextId;

  private Marionette(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /** Connects to Firefox's Marionette port, reads its greeting and opens a session. */
  static Marionette connect(int port, Duration wait) throws Exception {
    Socket[] connected = new Socket[1];
    Await.until(
        wait,
        "Firefox's Marionette server on 127.0.0.1:" + port,
        () -> {
          Socket s = new Socket();
          try {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            connected[0] = s;
            return true;
          } catch (IOException notYet) {
            s.close();
            return false;
          }
        });
    Marionette m = new Marionette(connected[0]);
    JsonNode hello = m.read();
    if (hello.path("marionetteProtocol").asInt() != 3) {
      m.close();
      throw new IllegalStateException("not Marionette protocol 3: " + hello);
    }
    m.command("WebDriver:NewSession", Json.object().putObject("capabilities"));
    return m;
  }

  void navigate(String url) throws IOException {
    command("WebDriver:Navigate", Json.object().put("url", url));
  }

  /** Runs {@code code} (a function body, as WebDriver's execute script) and returns its value. */
  JsonNode script(String code) throws IOException {
    ObjectNode params = Json.object().put("script", code);
    params.putArray("args");
    return command("WebDriver:ExecuteScript", params).path("value");
  }

  /** The page as a PNG. */
  byte[] screenshot() throws IOException {
    String png = command("WebDriver:TakeScreenshot", Json.object()).path("value").asText();
    return java.util.Base64.getDecoder().decode(png);
  }

  /** Sends a command and returns its result; an error answer is thrown, with its message. */
  JsonNode command(String name, JsonNode params) throws IOException {
    int id = ++nextId;
    ArrayNode message = JsonNodeFactory.instance.arrayNode().add(0).add(id).add(name);
    message.add(params);
    byte[] json = Json.render(message, false).getBytes(StandardCharsets.UTF_8);
    out.write((json.length + ":").getBytes(StandardCharsets.US_ASCII));
    out.write(json);
    out.flush();
    JsonNode answer = read();
    if (!answer.isArray() || answer.path(0).asInt() != 1 || answer.path(1).asInt() != id) {
      throw new IOException("Marionette answered " + name + " with " + answer);
    }
    if (!answer.path(2).isNull()) {
      throw new CommandFailed("Marionette " + name + " failed: " + answer.path(2));
    }
    return answer.path(3);
  }

  private JsonNode read() throws IOException {
    int length = 0;
    for (int b = in.read(); b != ':'; b = in.read()) {
      if (b < '0' || b > '9' || length > MAX_MESSAGE_BYTES / 10) {
        throw new IOException("not a Marionette message length (byte " + b + ")");
      }
      length = length * 10 + (b - '0');
    }
    ByteArrayOutputStream message = new ByteArrayOutputStream(length);
    byte[] buffer = new byte[8192];
    while (message.size() < length) {
      int n = in.read(buffer, 0, Math.min(buffer.length, length - message.size()));
      if (n < 0) {
        throw new EOFException("Marionette closed in the middle of a message");
      }
      message.write(buffer, 0, n);
    }
    return Json.parse(message.toString(StandardCharsets.UTF_8));
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
