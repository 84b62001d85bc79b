package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.internal.api.HearthClient;
import dev.hearth.daemon.internal.rpc.ErrorKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wire protocol over a real socket, spoken by a bare JDK client: every malformed input gets its
 * JSON-RPC error (or a clean close) and the daemon goes on serving others.
 */
@Timeout(60)
class ProtocolTest {
  private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"daemon.ping\"}";

  @TempDir Path dir;
  private TestDaemons.Running daemon;

  @BeforeEach
  void start() {
    Daemon.Seams seams =
        TestDaemons.seams()
            .withHandler(
                "test.sleep",
                params -> {
                  Thread.sleep(params.longValue("millis", 0));
                  return Wire.object().put("slept", true);
                })
            .withHandler(
                "test.missing",
                params -> {
                  throw ErrorKind.NOT_FOUND.error("no VM named 'x'");
                })
            .withHandler(
                "test.hostfail",
                params -> {
                  throw new DaemonException("cannot write /run/x: Permission denied");
                })
            .withHandler(
                "test.crash",
                params -> {
                  throw new IllegalStateException("boom");
                });
    daemon = TestDaemons.start(TestDaemons.config(dir), seams);
  }

  @AfterEach
  void stop() throws InterruptedException {
    daemon.close();
  }

  @Test
  void answersAPing() throws IOException {
    try (RawClient client = RawClient.connect(daemon.socket)) {
      JsonNode reply = client.exchange(PING);
      assertThat(reply.toString())
          .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"pong\":true}}");
    }
  }

  @Test
  void badJsonIsAParseErrorAndTheConnectionGoesOn() throws IOException {
    try (RawClient client = RawClient.connect(daemon.socket)) {
      assertError(client.exchange("{\"jsonrpc\": \"2.0\", \"id\": 1,"), -32700, "not valid JSON");
      assertError(client.exchange("{\"id\":1}{\"id\":2}"), -32700, "not valid JSON");
      assertError(client.exchange("[".repeat(100_000)), -32700, "not valid JSON");
      assertPong(client);
    }
    assertServesOthers();
  }

  @Test
  void jsonThatIsNotAnObjectIsAnInvalidRequest() throws IOException {
    try (RawClient client = RawClient.connect(daemon.socket)) {
      assertError(client.exchange("42"), -32600, "must be a JSON object; got a number (42)");
      assertError(client.exchange("\"hello\""), -32600, "must be a JSON object; got a string");
      assertError(client.exchange("null"), -32600, "must be a JSON object");
      assertPong(client);
    }
    assertServesOthers();
  }

  @Test
  void aBatchIsRefused() throws IOException {
    try (RawClient client = RawClient.connect(daemon.socket)) {
      assertError(
          client.exchange("[" + PING + "," + PING + "]"),
          -32600,
          "batch requests are not supported");
      assertError(client.exchange("[]"), -32600, "batch requests are not supported");
      assertPong(client);
    }
    assertServesOthers();
  }

  @Test
  void aMissingOrWrongJsonrpcIsAnInvalidRequestThatKeepsTheId() throws IOException {
    try (RawClient client = RawClient.connect(daemon.socket)) {
      JsonNode missing = client.exchange("{\"id\":7,\"method\":\"daemon.ping\"}");
      assertError(missing, -32600, "\"jsonrpc\" must be \"2.0\"; it is missing");
      assertThat(missing.get("id").intValue()).isEqualTo(7);
      JsonNode wrong =
          client.exchange("{\"jsonrpc\":\"1.0\",\"id\":\"a\",\"method\":\"daemon.ping\"}");
      assertError(wrong, -32600, "\"jsonrpc\" must be \"2.0\"; got \"1.0\"");
      assertThat(wrong.get("id").textValue()).isEqualTo("a");
      assertPong(client);
    }
    assertServesOthers();
  }

  @Test
  void aMissingMethodOrABadIdIsAnInvalidRequest() throws IOException {
    try (RawClient client = RawClient.connect(daemon.socket)) {
      assertError(
          client.exchange("{\"jsonrpc\":\"2.0\",\"id\":1}"), -32600, "\"method\" must be a string");
      assertError(
          client.exchange("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}"),
          -32600,
          "\"method\" must be a string; got a number");
      assertError(
          client.exchange("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"daemon.ping\"}"),
          -32600,
          "\"id\" must be a string, a number or null");
      assertPong(client);
    }
    assertServesOthers();
  }

  @Test
  void anUnknownMethodIsNamed() throws IOException {
    try (RawClient client = RawClient.connect(daemon.socket)) {
      assertError(
          client.exchange("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.frobnicate\"}"),
          -32601,
          "unknown method 'vm.frobnicate'");
      assertPong(client);
    }
    assertServesOthers();
  }

  @Test
  void paramsOfTheWrongTypeAreInvalidParams() throws IOException {
    try (RawClient client = RawClient.connect(daemon.socket)) {
      assertError(
          client.exchange(
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"daemon.ping\",\"params\":[1]}"),
          -32602,
          "\"params\" of daemon.ping must be an object; got an array ([1])");
      assertError(
          client.exchange(
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"daemon.ping\",\"params\":{\"x\":1}}"),
          -32602,
          "daemon.ping takes no params; got 'x'");
      assertError(
          client.exchange(
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.sleep\","
                  + "\"params\":{\"millis\":\"soon\"}}"),
          -32602,
          "param 'millis' of test.sleep must be an integer; got \"soon\"");
      assertPong(client);
    }
    assertServesOthers();
  }

  @Test
  void applicationErrorsCarryTheirCodeAndKind() throws IOException {
    try (RawClient client = RawClient.connect(daemon.socket)) {
      JsonNode missing =
          client.exchange("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.missing\"}");
      assertError(missing, -32001, "no VM named 'x'");
      assertThat(missing.at("/error/data/kind").textValue()).isEqualTo("not_found");
      JsonNode crash = client.exchange("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test.crash\"}");
      assertError(
          crash, -32603, "test.crash failed unexpectedly (java.lang.IllegalStateException: boom)");
      assertThat(crash.at("/error/data/kind").textValue()).isEqualTo("internal");
      // A DaemonException that reaches the RPC layer unwrapped is a host_error with its message
      // (it was answered as -32603 internal before DaemonException joined HearthException).
      JsonNode hostFail =
          client.exchange("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"test.hostfail\"}");
      assertThat(hostFail.toString())
          .isEqualTo(
              "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32006,"
                  + "\"message\":\"cannot write /run/x: Permission denied\","
                  + "\"data\":{\"kind\":\"host_error\"}}}");
      assertPong(client);
    }
    try (HearthClient client = HearthClient.connect(daemon.socket)) {
      assertThatThrownBy(() -> Rpc.call(client, "test.missing", null))
          .isInstanceOfSatisfying(
              HearthException.class,
              e -> {
                assertThat(e.wireCode()).hasValue(-32001);
                assertThat(e.kind().wireName()).isEqualTo("not_found");
                assertThat(e.getMessage()).isEqualTo("no VM named 'x'");
              });
    }
  }

  @Test
  void aNotificationGetsNoReply() throws IOException {
    try (RawClient client = RawClient.connect(daemon.socket)) {
      client.sendLine("{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\"}");
      client.sendLine("{\"jsonrpc\":\"2.0\",\"method\":\"vm.frobnicate\"}");
      JsonNode reply =
          client.exchange("{\"jsonrpc\":\"2.0\",\"id\":\"after\",\"method\":\"daemon.ping\"}");
      assertThat(reply.get("id").textValue()).isEqualTo("after");
      assertThat(reply.at("/result/pong").booleanValue()).isTrue();
    }
  }

  @Test
  void aLineOverOneMebibyteIsRefusedAndTheConnectionClosed() throws IOException {
    try (RawClient client = RawClient.connect(daemon.socket)) {
      byte[] line = new byte[Wire.MAX_LINE_BYTES + 100];
      Arrays.fill(line, (byte) 'a');
      line[line.length - 1] = '\n';
      try {
        client.send(line);
      } catch (IOException e) {
        // The daemon stops reading past the limit and closes; its reply is already on its way.
      }
      JsonNode reply = client.readJson();
      assertError(reply, -32600, "longer than the limit of 1048576 bytes");
      assertThat(client.readLine()).isNull();
    }
    assertServesOthers();
  }

  @Test
  void binaryGarbageIsAParseError() throws IOException {
    byte[] garbage = new byte[4096];
    new Random(42).nextBytes(garbage);
    for (int i = 0; i < garbage.length; i++) {
      if (garbage[i] == '\n') {
        garbage[i] = 0;
      }
    }
    garbage[garbage.length - 1] = '\n';
    try (RawClient client = RawClient.connect(daemon.socket)) {
      client.send(garbage);
      assertError(client.readJson(), -32700, "");
      client.send(new byte[] {(byte) 0xc3, (byte) 0x28, '\n'});
      assertError(client.readJson(), -32700, "not valid UTF-8");
      assertPong(client);
    }
    assertServesOthers();
  }

  @Test
  void aClientThatDisconnectsMidRequestIsClosedQuietly() throws IOException {
    try (RawClient client = RawClient.connect(daemon.socket)) {
      client.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"meth".getBytes(StandardCharsets.UTF_8));
      client.shutdownOutput();
      assertThat(client.readLine()).isNull();
    }
    try (RawClient client = RawClient.connect(daemon.socket)) {
      client.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"meth".getBytes(StandardCharsets.UTF_8));
    }
    assertServesOthers();
  }

  @Test
  void aSilentClientIsClosedAfterTheIdleTimeoutWhileOthersAreServed() throws Exception {
    // Long enough that the other clients, which ask at once, are never idle that long even when
    // the machine stalls the test for a moment.
    Config config =
        TestDaemons.config(dir.resolve("idle")).with(ConfigKey.CLIENT_IDLE_TIMEOUT, "2s");
    try (TestDaemons.Running idle = TestDaemons.start(config);
        RawClient silent = RawClient.connect(idle.socket)) {
      try (RawClient other = RawClient.connect(idle.socket)) {
        assertPong(other);
      }
      assertThat(silent.readLine()).isNull();
      try (RawClient other = RawClient.connect(idle.socket)) {
        assertPong(other);
      }
    }
  }

  private void assertServesOthers() throws IOException {
    try (RawClient other = RawClient.connect(daemon.socket)) {
      assertPong(other);
    }
  }

  private static void assertPong(RawClient client) throws IOException {
    JsonNode reply = client.exchange(PING);
    assertThat(reply.at("/result/pong").booleanValue()).as("reply %s", reply).isTrue();
  }

  private static void assertError(JsonNode reply, int code, String messagePart) {
    assertThat(reply.get("jsonrpc").textValue()).isEqualTo("2.0");
    assertThat(reply.has("result")).as("reply %s", reply).isFalse();
    assertThat(reply.at("/error/code").intValue()).as("reply %s", reply).isEqualTo(code);
    assertThat(reply.at("/error/message").textValue()).contains(messagePart);
    if (code == -32700 || (code <= -32600 && code >= -32602)) {
      assertThat(reply.at("/error/data").isMissingNode()).as("reply %s", reply).isTrue();
    }
  }
}
