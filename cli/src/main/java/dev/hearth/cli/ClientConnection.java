package dev.hearth.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.HearthClient;
import java.nio.file.Path;

/** {@link DaemonConnection} over a {@link HearthClient}. */
final class ClientConnection implements DaemonConnection {
  private final HearthClient client;

  private ClientConnection(HearthClient client) {
    this.client = client;
  }

  static DaemonConnection connect(Path socket) {
    return new ClientConnection(HearthClient.connect(socket));
  }

  @Override
  public JsonNode call(String method, JsonNode params) {
    return parse(method, client.call(method, text(params)));
  }

  @Override
  public JsonNode call(String method, JsonNode params, NotificationListener listener) {
    String result =
        client.call(
            method,
            text(params),
            (notification, paramsJson) ->
                listener.onNotification(notification, parse(notification, paramsJson)));
    return parse(method, result);
  }

  @Override
  public Stream openStream(String method, JsonNode params, StreamOutput output) {
    HearthClient.Stream stream = client.openStream(method, text(params), output::onOutput);
    return new Stream() {
      @Override
      public void write(byte[] data, int offset, int length) {
        stream.write(data, offset, length);
      }

      @Override
      public void closeInput() {
        stream.closeInput();
      }

      @Override
      public void resize(int cols, int rows) {
        stream.resize(cols, rows);
      }

      @Override
      public JsonNode awaitResult() {
        return parse(method, stream.awaitResult());
      }

      @Override
      public void close() {
        stream.close();
      }
    };
  }

  @Override
  public void close() {
    client.close();
  }

  private static String text(JsonNode params) {
    return params == null ? null : Json.render(params, false);
  }

  private static JsonNode parse(String method, String json) {
    try {
      return Json.parse(json);
    } catch (JsonProcessingException e) {
      throw new DaemonException(
          "the daemon's answer to " + method + " is not JSON: " + e.getOriginalMessage(), e);
    }
  }
}
