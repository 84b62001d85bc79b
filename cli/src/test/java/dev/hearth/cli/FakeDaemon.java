package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A scripted daemon for the vm and op commands: each method answers with a canned result, after the
 * notifications scripted for it, or throws what it is given. Records every request.
 */
final class FakeDaemon implements DaemonConnection.Connector {
  /** One request as the command sent it. */
  record Request(String method, JsonNode params) {}

  /** What a method does when called. */
  @FunctionalInterface
  interface Answer {
    JsonNode answer(JsonNode params, DaemonConnection.NotificationListener listener);
  }

  /** What a streaming method does with its stream. */
  @FunctionalInterface
  interface StreamAnswer {
    JsonNode answer(JsonNode params, FakeStream stream);
  }

  /** The daemon's side of one stream: what the command sent, and output to send it. */
  static final class FakeStream {
    private final DaemonConnection.StreamOutput output;
    private final ByteArrayOutputStream input = new ByteArrayOutputStream();
    private final List<String> resizes = new ArrayList<>();
    private boolean eof;

    FakeStream(DaemonConnection.StreamOutput output) {
      this.output = output;
    }

    /** Sends output to the command. */
    void out(int fd, String text) {
      output.onOutput(fd, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Waits for the command's EOF and returns all the input it sent. */
    synchronized byte[] awaitInputEnd() {
      awaitUntil(() -> eof, "the end of the input");
      return input.toByteArray();
    }

    /** Waits until {@code count} resizes arrived; returns them as "COLSxROWS". */
    synchronized List<String> awaitResizes(int count) {
      awaitUntil(() -> resizes.size() >= count, count + " resizes");
      return List.copyOf(resizes);
    }

    synchronized boolean inputEnded() {
      return eof;
    }

    private void awaitUntil(BooleanSupplier done, String what) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!done.getAsBoolean()) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          throw new AssertionError("no " + what + " from the command");
        }
        try {
          wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted", e);
        }
      }
    }

    synchronized void write(byte[] data, int offset, int length) {
      if (eof) {
        throw new AssertionError("input after EOF");
      }
      input.write(data, offset, length);
      notifyAll();
    }

    synchronized void closeInput() {
      eof = true;
      notifyAll();
    }

    synchronized void resize(int cols, int rows) {
      resizes.add(cols + "x" + rows);
      notifyAll();
    }
  }

  private final Map<String, Answer> answers = new HashMap<>();
  private final Map<String, StreamAnswer> streamAnswers = new HashMap<>();
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

  FakeDaemon onStream(String method, StreamAnswer answer) {
    streamAnswers.put(method, answer);
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
      public Stream openStream(String method, JsonNode params, StreamOutput output) {
        requests.add(new Request(method, params));
        StreamAnswer answer = streamAnswers.get(method);
        if (answer == null) {
          throw new AssertionError("unexpected stream " + method + " " + params);
        }
        FakeStream fake = new FakeStream(output);
        return new Stream() {
          @Override
          public void write(byte[] data, int offset, int length) {
            fake.write(data, offset, length);
          }

          @Override
          public void closeInput() {
            fake.closeInput();
          }

          @Override
          public void resize(int cols, int rows) {
            fake.resize(cols, rows);
          }

          @Override
          public JsonNode awaitResult() {
            return answer.answer(params, fake);
          }

          @Override
          public void close() {}
        };
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
