package dev.hearth.core.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.testing.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client side of the protocol against a scripted server on a real Unix socket: each test's
 * server reads the client's lines and answers with exactly the lines it is given, well-formed or
 * not, so that every failure reaches the caller's {@link RpcClient.Failures}.
 */
class RpcClientTest {
  /** Names each failure by the method that made it, so that a test sees which one was chosen. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Failure(String what) {
      super(what);
    }
  }

  private static final RpcClient.Failures FAILURES =
      new RpcClient.Failures() {
        @Override
        public RuntimeException cannotConnect(IOException cause) {
          return new Failure("cannotConnect: " + cause.getMessage());
        }

        @Override
        public RuntimeException lost(IOException cause) {
          return new Failure("lost: " + cause.getMessage());
        }

        @Override
        public RuntimeException closed() {
          return new Failure("closed");
        }

        @Override
        public RuntimeException malformed(String what) {
          return new Failure("malformed: " + what);
        }

        @Override
        public RuntimeException error(int code, String message) {
          return new Failure("error " + code + ": " + message);
        }

        @Override
        public RuntimeException closeFailed(IOException cause) {
          return new Failure("closeFailed: " + cause.getMessage());
        }
      };

  @TempDir Path dir;
  private Path socket;
  private ServerSocketChannel server;

  @BeforeEach
  void listen() throws IOException {
    socket = dir.resolve("s.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  /** What the scripted server read: the client's lines, up to the script's end. */
  interface Script {
    void run(BufferedReader in, OutputStream out) throws Exception;
  }

  private Future<List<String>> serve(Script script) {
    return Await.async(
        "the scripted server",
        () -> {
          try (SocketChannel peer = server.accept()) {
            List<String> read = new ArrayList<>();
            BufferedReader in =
                new BufferedReader(
                    new InputStreamReader(Channels.newInputStream(peer), StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(peer);
            script.run(
                new BufferedReader(in) {
                  @Override
                  public String readLine() throws IOException {
                    String line = in.readLine();
                    read.add(line);
                    return line;
                  }
                },
                out);
            return read;
          }
        });
  }

  private static void send(OutputStream out, String... lines) throws IOException {
    for (String line : lines) {
      out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }
    out.flush();
  }

  /**
   * A client call: bounded, since a client that misreads the server would wait for a line that
   * never comes, while the scripted server waits for its next request.
   */
  private static <T> T within(String what, Callable<T> call) throws Exception {
    return Await.call(Duration.ofSeconds(30), what, call);
  }

  private static JsonNode json(String line) throws IOException {
    return Wire.mapper().readTree(line);
  }

  @Test
  void aCallSendsOneRequestLineAndReturnsTheResultSkippingKeepalives() throws Exception {
    Future<List<String>> server =
        serve(
            (in, out) -> {
              in.readLine();
              send(out, "", "  ", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"ok\":true}}");
            });
    try (RpcClient client = RpcClient.connect(socket, FAILURES)) {
      assertThat(within("the call's result", () -> client.call("thing.do", "{\"n\": 3}")))
          .isEqualTo("{\"ok\":true}");
    }
    JsonNode request = json(Await.result(server, "the server's end").get(0));
    assertThat(request.path("jsonrpc").asText()).isEqualTo("2.0");
    assertThat(request.path("id").asLong()).isEqualTo(1);
    assertThat(request.path("method").asText()).isEqualTo("thing.do");
    assertThat(request.path("params").path("n").asInt()).isEqualTo(3);
  }

  @Test
  void notificationsBeforeTheResponseReachTheListenerInOrder() throws Exception {
    serve(
        (in, out) -> {
          in.readLine();
          send(
              out,
              "{\"jsonrpc\":\"2.0\",\"method\":\"op.progress\",\"params\":{\"stage\":\"a\"}}",
              "{\"jsonrpc\":\"2.0\",\"method\":\"op.progress\",\"params\":{\"stage\":\"b\"}}",
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"done\"}");
        });
    List<String> notes = new ArrayList<>();
    try (RpcClient client = RpcClient.connect(socket, FAILURES)) {
      assertThat(
              within(
                  "the watch's result",
                  () ->
                      client.call(
                          "op.watch", null, (method, params) -> notes.add(method + params))))
          .isEqualTo("\"done\"");
    }
    assertThat(notes)
        .containsExactly("op.progress{\"stage\":\"a\"}", "op.progress{\"stage\":\"b\"}");
  }

  @Test
  void anErrorReplyIsTheCallersErrorWithItsCodeAndMessage() throws Exception {
    serve(
        (in, out) -> {
          in.readLine();
          send(
              out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32004,\"message\":\"no\"}}");
        });
    try (RpcClient client = RpcClient.connect(socket, FAILURES)) {
      assertThatThrownBy(() -> within("the error", () -> client.call("thing.do", null)))
          .isInstanceOf(Failure.class)
          .hasMessage("error -32004: no");
    }
  }

  @Test
  void aServerBreakingTheProtocolIsMalformedNamingWhatItDid() throws Exception {
    serve(
        (in, out) -> {
          in.readLine();
          send(out, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1}");
          in.readLine();
          send(out, "not json");
          in.readLine();
          send(out, "{\"jsonrpc\":\"2.0\",\"id\":3}");
          in.readLine();
          send(out, "x".repeat(Wire.MAX_LINE_BYTES + 1));
        });
    try (RpcClient client = RpcClient.connect(socket, FAILURES)) {
      assertThatThrownBy(() -> within("the reply for 7", () -> client.call("a", null)))
          .hasMessage("malformed: answered request 1 with a reply for 7");
      assertThatThrownBy(() -> within("the line that is not JSON", () -> client.call("b", null)))
          .hasMessageStartingWith("malformed: sent a reply that is not JSON");
      assertThatThrownBy(() -> within("the empty reply", () -> client.call("c", null)))
          .hasMessage("malformed: answered c with neither a result nor an error");
      assertThatThrownBy(() -> within("the oversized reply", () -> client.call("d", null)))
          .hasMessage("malformed: sent a reply longer than " + Wire.MAX_LINE_BYTES + " bytes");
    }
  }

  @Test
  void aServerThatClosesOrIsNotThereIsTold() throws Exception {
    serve((in, out) -> in.readLine());
    try (RpcClient client = RpcClient.connect(socket, FAILURES)) {
      assertThatThrownBy(() -> within("the closed connection", () -> client.call("thing.do", null)))
          .hasMessage("closed");
    }
    server.close();
    assertThatThrownBy(() -> RpcClient.connect(dir.resolve("none.sock"), FAILURES))
        .hasMessageStartingWith("cannotConnect: ");
  }

  @Test
  void badParamsAndAnOversizedRequestAreRefusedBeforeAnythingIsSent() throws Exception {
    Future<List<String>> server = serve((in, out) -> in.readLine());
    try (RpcClient client = RpcClient.connect(socket, FAILURES)) {
      assertThatThrownBy(() -> client.call("thing.do", "{nope"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("the params of thing.do are not valid JSON");
      String huge = "\"" + "y".repeat(Wire.MAX_LINE_BYTES) + "\"";
      assertThatThrownBy(() -> client.call("thing.do", huge))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("more than the limit of " + Wire.MAX_LINE_BYTES);
    }
    assertThat(Await.result(server, Duration.ofSeconds(30), "the server's end"))
        .as("no request reached the server")
        .containsExactly((String) null);
  }

  @Test
  void aStreamsOutputReachesTheListenerAndItsInputGoesBackAsNotifications() throws Exception {
    String hello = Base64.getEncoder().encodeToString("hello".getBytes(StandardCharsets.UTF_8));
    Future<List<String>> server =
        serve(
            (in, out) -> {
              in.readLine(); // the request
              send(
                  out,
                  "{\"jsonrpc\":\"2.0\",\"method\":\"stream.output\","
                      + "\"params\":{\"stream\":1,\"fd\":2,\"data\":\""
                      + hello
                      + "\"}}",
                  "{\"jsonrpc\":\"2.0\",\"method\":\"other.note\",\"params\":{\"x\":1}}");
              in.readLine(); // the input
              in.readLine(); // its end
              send(out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"exit_code\":0}}");
            });
    List<String> seen = new ArrayList<>();
    try (RpcClient client = RpcClient.connect(socket, FAILURES)) {
      RpcClient.Stream stream =
          client.openStream(
              "vm.exec",
              "{}",
              new StreamListener() {
                @Override
                public void onOutput(int fd, byte[] data) {
                  seen.add(fd + ":" + new String(data, StandardCharsets.UTF_8));
                }

                @Override
                public void onNotification(String method, String paramsJson) {
                  seen.add(method + paramsJson);
                }
              });
      assertThatThrownBy(() -> client.call("another", null))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("still runs the stream of vm.exec");
      stream.write("in".getBytes(StandardCharsets.UTF_8));
      stream.closeInput();
      assertThat(within("the stream's result", stream::awaitResult)).isEqualTo("{\"exit_code\":0}");
    }
    assertThat(seen).containsExactly("2:hello", "other.note{\"x\":1}");
    List<String> read = Await.result(server, "the server's end");
    JsonNode input = json(read.get(1));
    assertThat(input.path("method").asText()).isEqualTo(RequestStream.INPUT_METHOD);
    assertThat(input.has("id")).isFalse();
    assertThat(input.path("params").path("stream").asLong()).isEqualTo(1);
    assertThat(Base64.getDecoder().decode(input.path("params").path("data").asText()))
        .isEqualTo("in".getBytes(StandardCharsets.UTF_8));
    assertThat(json(read.get(2)).path("params").path("eof").asBoolean()).isTrue();
  }

  @Test
  void streamOutputThatIsNotBase64IsMalformed() throws Exception {
    serve(
        (in, out) -> {
          in.readLine();
          send(
              out,
              "{\"jsonrpc\":\"2.0\",\"method\":\"stream.output\","
                  + "\"params\":{\"stream\":1,\"fd\":1,\"data\":\"%%%\"}}");
        });
    try (RpcClient client = RpcClient.connect(socket, FAILURES)) {
      RpcClient.Stream stream = client.openStream("vm.exec", null, (fd, data) -> {});
      assertThatThrownBy(() -> within("the stream's output", stream::awaitResult))
          .hasMessageStartingWith("malformed: sent output that is not base64");
    }
  }
}
