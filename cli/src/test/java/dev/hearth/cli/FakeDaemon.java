package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A scripted daemon for the vm and op commands: each method answers with a canned result, after
 * the notifications scripted for it, or throws what it is given. Records every request.
 */
final class FakeDaemon implements DaemonConnection.Connector {
  /** One request as the command sent it. */
  record Request(String method, JsonNode params) {}

  /** What a method does when called. */
  @FunctionalInterface
  interface Answer {
    JsonNode answer(JsonNode params, DaemonConnection.NotificationListener listener);
  }

  private final Map<String, Answer> answers = new HashMap<>();
  private final List<Request> requests = new ArrayList<>();
  private int opened;
  private int closed;

  /** Answers {@code method} with {@code resultJson}. */
  FakeDaemon on(String method, String resultJson) {
    return on(method, (params, listener) -> json(resultJson));
  }

  /** Sends each notification of {@code method} first (as method name, params JSON pairs). */
  FakeDaemon onStreaming(String method, String resultJson, String... notifications) {
    return on(
        method,
        (params, listener) -> {
          for (int i = 0; i < notifications.length; i += 2) {
            listener.onNotification(notifications[i], json(notifications[i + 1]));
          }
          return json(resultJson);
        });
  }

  FakeDaemon on(String method, Answer answer) {
    answers.put(method, answer);
    return this;
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  /** The params of the only request for {@code method}. */
  JsonNode paramsOf(String method) {
    List<JsonNode> matching =
        requests.stream().filter(r -> r.method().equals(method)).map(Request::params).toList();
    if (matching.size() != 1) {
      throw new AssertionError(method + " was sent " + matching.size() + " times: " + requests);
    }
    return matching.get(0);
  }

  /** Every connection opened was closed. */
  boolean allClosed() {
    return opened == closed;
  }

  @Override
  public DaemonConnection connect(Path socket) {
    opened++;
    return new DaemonConnection() {
      @Override
      public JsonNode call(String method, JsonNode params) {
        return call(
            method,
            params,
            (m, p) -> {
              throw new AssertionError(method + " is not a streaming call but got " + m);
            });
      }

      @Override
      public JsonNode call(String method, JsonNode params, NotificationListener listener) {
        requests.add(new Request(method, params));
        Answer answer = answers.get(method);
        if (answer == null) {
          throw new AssertionError("unexpected request " + method + " " + params);
        }
        return answer.answer(params, listener);
      }

      @Override
      public void close() {
        closed++;
      }
    };
  }

  static JsonNode json(String text) {
    return Samples.node(text);
  }
}
