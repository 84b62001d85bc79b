package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Posix;
import dev.hearth.core.rpc.Wire;
import dev.hearth.core.testing.Await;
import dev.hearth.daemon.internal.api.HearthClient;
import dev.hearth.daemon.internal.api.ProtocolMismatchException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HearthClientTest {
  @TempDir Path dir;

  @Test
  void aMissingSocketIsDaemonUnavailableNamingThePath() {
    Path socket = dir.resolve("nothing.sock");
    assertThatThrownBy(() -> HearthClient.connect(socket))
        .isInstanceOfSatisfying(
            DaemonUnavailableException.class, e -> assertThat(e.socket()).isEqualTo(socket))
        .hasMessageContaining("cannot connect to the hearth daemon at " + socket);
  }

  @Test
  void aDaemonOfAnotherProtocolVersionIsRefused() throws Exception {
    Path socket = dir.resolve("fake.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      Thread fake = new Thread(() -> answerVersion(server, 99));
      fake.start();
      assertThatThrownBy(() -> Rpc.bounded("the connect", () -> HearthClient.connect(socket)))
          .isInstanceOf(ProtocolMismatchException.class)
          .hasMessageContaining("speaks protocol version 99 (hearth 9.9.9)")
          .hasMessageContaining("this client speaks version 1");
      Await.join(fake, "the fake daemon");
    }
  }

  /** Answers one daemon.version request with the given protocol version. */
  private static void answerVersion(ServerSocketChannel server, int protocolVersion) {
    answerVersion(server, protocolVersion, new ArrayList<>());
  }

  /**
   * Serves one connection until the client closes it, keeping the request lines: daemon.version
   * gets the given protocol version, anything else an empty object.
   */
  private static void answerVersion(
      ServerSocketChannel server, int protocolVersion, List<String> lines) {
    try (SocketChannel peer = server.accept()) {
      ObjectMapper json = new ObjectMapper();
      ByteBuffer one = ByteBuffer.allocate(1);
      while (true) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (peer.read(one.clear()) > 0 && one.get(0) != '\n') {
          line.write(one.get(0));
        }
        if (line.size() == 0) {
          return; // the client closed the connection
        }
        lines.add(line.toString(StandardCharsets.UTF_8));
        JsonNode request = json.readTree(line.toByteArray());
        String result =
            request.get("method").asText().equals("daemon.version")
                ? "{\"version\":\"9.9.9\",\"protocol_version\":"
                    + protocolVersion
                    + ",\"java_version\":\"17\",\"pid\":1}"
                : "{}";
        String reply =
            "{\"jsonrpc\":\"2.0\",\"id\":" + request.get("id") + ",\"result\":" + result + "}\n";
        Channels.newOutputStream(peer).write(reply.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The request lines are the bytes that serialising the request as a tree gives (as the client
   * once sent them), also for params with escapes, non-ASCII text and big numbers.
   */
  @Test
  void requestLinesAreTheTreesBytes() throws Exception {
    Path socket = dir.resolve("fake.sock");
    String params =
        "{\"s\":\"é\\u0001\\\"\\\\\\n\",\"n\":-1.5e300,\"big\":123456789012345678901,"
            + "\"a\":[true,null,{}]}";
    List<String> lines = new ArrayList<>();
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      Thread fake = new Thread(() -> answerVersion(server, 1, lines));
      fake.start();
      try (HearthClient client = HearthClient.connect(socket)) {
        assertThat(client.call("test.echo", params)).isEqualTo("{}");
        assertThat(client.call("test.none", null)).isEqualTo("{}");
      }
      fake.join();
    }
    ObjectNode first = Wire.object().put("jsonrpc", "2.0").put("id", 1L);
    first.put("method", "daemon.version");
    ObjectNode second = Wire.object().put("jsonrpc", "2.0").put("id", 2L);
    second.put("method", "test.echo").set("params", Wire.mapper().readTree(params));
    ObjectNode third = Wire.object().put("jsonrpc", "2.0").put("id", 3L);
    third.put("method", "test.none");
    assertThat(lines)
        .containsExactly(
            new String(Wire.bytes(first), StandardCharsets.UTF_8),
            new String(Wire.bytes(second), StandardCharsets.UTF_8),
            new String(Wire.bytes(third), StandardCharsets.UTF_8));
  }

  @Test
  void callSendsRawParamsAndReturnsTheResultAsJson() throws Exception {
    Daemon.Seams seams =
        TestDaemons.seams()
            .withHandler("test.echo", p -> Wire.object().put("n", p.longValue("n", 0)));
    try (TestDaemons.Running daemon = TestDaemons.start(TestDaemons.config(dir), seams);
        HearthClient client = HearthClient.connect(daemon.socket)) {
      assertThat(Rpc.call(client, "test.echo", "{\"n\": 42}")).isEqualTo("{\"n\":42}");
      assertThat(Rpc.call(client, "daemon.ping", null)).isEqualTo("{\"pong\":true}");
      assertThat(Rpc.call(client, "daemon.ping", " ")).isEqualTo("{\"pong\":true}");
      assertThatThrownBy(() -> Rpc.call(client, "daemon.ping", "{nope"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("the params of daemon.ping are not valid JSON");
      assertThatThrownBy(() -> Rpc.call(client, "daemon.ping", "[1]"))
          .isInstanceOfSatisfying(
              HearthException.class, e -> assertThat(e.wireCode()).hasValue(-32602));
    }
  }

  private static List<String> summary(DoctorReport report) {
    return report.checks().stream().map(c -> c.name() + " " + c.status()).toList();
  }

  @Test
  void doctorReportsTheChecksOfTheDaemon() throws Exception {
    Config config = TestDaemons.config(dir);
    try (TestDaemons.Running daemon = TestDaemons.start(config);
        HearthClient client = HearthClient.connect(daemon.socket)) {
      // Details such as the free space may change between the two runs: names and statuses.
      assertThat(summary(client.doctor())).isEqualTo(summary(Daemon.doctor(config)));
    }
  }

  @Test
  void aClientPastMaxConnectionsIsToldTheDaemonIsBusy() throws Exception {
    Config config =
        TestDaemons.config(dir)
            .with(ConfigKey.MAX_CONNECTIONS, "1")
            .with(ConfigKey.ROOT_RESERVED_CONNECTIONS, "0");
    try (TestDaemons.Running daemon = TestDaemons.start(config);
        HearthClient first = HearthClient.connect(daemon.socket)) {
      assertThatThrownBy(() -> HearthClient.connect(daemon.socket))
          .isInstanceOfSatisfying(
              HearthException.class,
              e -> {
                assertThat(e.wireCode()).hasValue(-32003);
                assertThat(e.kind().wireName()).isEqualTo("busy");
                assertThat(e.getMessage()).contains("maximum of 1 connections");
              });
      first.ping();
    }
  }

  @Test
  void aRefusedPeerGetsUnauthorizedAndIsDisconnected() throws Exception {
    Daemon.Seams seams =
        TestDaemons.seams()
            .withPeerAuthorizer(peer -> Optional.of("uid " + peer.uid() + " is not welcome"));
    try (TestDaemons.Running daemon = TestDaemons.start(TestDaemons.config(dir), seams)) {
      try (RawClient raw = RawClient.connect(daemon.socket)) {
        JsonNode reply = raw.exchange("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"daemon.ping\"}");
        assertThat(reply.get("id").intValue()).isEqualTo(5);
        assertThat(reply.at("/error/code").intValue()).isEqualTo(-32005);
        assertThat(reply.at("/error/data/kind").textValue()).isEqualTo("unauthorized");
        assertThat(reply.at("/error/message").textValue())
            .isEqualTo("uid " + Posix.system().geteuid() + " is not welcome");
        assertThat(raw.readLine()).isNull();
      }
      assertThatThrownBy(() -> HearthClient.connect(daemon.socket))
          .isInstanceOfSatisfying(
              HearthException.class,
              e -> assertThat(e.kind().wireName()).isEqualTo("unauthorized"));
    }
  }
}
