package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.rpc.RequestStream;
import dev.hearth.core.rpc.RpcClient;
import dev.hearth.core.rpc.Wire;
import dev.hearth.core.testing.Await;
import dev.hearth.daemon.internal.api.HearthClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stream protocol on a real socket, with test methods: {@code test.echo} copies its input to
 * stdout and a line per resize to stderr; {@code test.silent} waits for the client to go.
 */
class StreamProtocolTest {
  @TempDir Path dir;
  private TestDaemons.Running daemon;
  private final CountDownLatch silentCancelled = new CountDownLatch(1);
  private final CountDownLatch silentStarted = new CountDownLatch(1);

  @BeforeEach
  void start() {
    daemon = start(TestDaemons.config(dir));
  }

  private TestDaemons.Running start(Config config) {
    Daemon.Seams seams =
        TestDaemons.seams()
            .withHandler(
                "test.echo",
                params -> {
                  RequestStream stream = params.stream();
                  OutputStream err = stream.output(2);
                  stream.onResize(
                      (cols, rows) -> {
                        try {
                          err.write(("resized " + cols + "x" + rows + "\n").getBytes());
                        } catch (IOException e) {
                          throw new UncheckedIOException(e);
                        }
                      });
                  long copied;
                  try (InputStream in = stream.input()) {
                    copied = in.transferTo(stream.output(1));
                  } catch (IOException e) {
                    throw new IllegalStateException(e);
                  }
                  return Wire.object().put("copied", copied);
                })
            .withHandler(
                "test.silent",
                params -> {
                  RequestStream stream = params.stream();
                  stream.onCancel(silentCancelled::countDown);
                  silentStarted.countDown();
                  Await.latch(silentCancelled, "the stream's cancel");
                  return Wire.object();
                });
    return TestDaemons.start(config, seams);
  }

  @AfterEach
  void stop() throws InterruptedException {
    daemon.close();
  }

  @Test
  void inputComesBackAsOutputInOrderThenTheResult() {
    byte[] input = new byte[3 * 1024 * 1024 + 17];
    new Random(7).nextBytes(input);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<String> err = new ArrayList<>();
    try (HearthClient client = HearthClient.connect(daemon.socket)) {
      RpcClient.Stream stream =
          client.openStream(
              "test.echo",
              null,
              (fd, data) -> {
                if (fd == 1) {
                  out.writeBytes(data);
                } else {
                  err.add(new String(data, StandardCharsets.UTF_8));
                }
              });
      Thread writer =
          new Thread(
              () -> {
                stream.resize(80, 24);
                stream.write(input);
                stream.closeInput();
              });
      writer.start();
      String result = Rpc.result(stream, "test.echo");
      assertThat(VmFixture.parse(result).path("copied").asLong()).isEqualTo(input.length);
      assertThat(out.toByteArray()).isEqualTo(input);
      assertThat(err).containsExactly("resized 80x24\n");
      // The connection serves ordinary requests again once the stream has ended.
      client.ping();
    }
  }

  @Test
  void anotherRequestWhileAStreamRunsIsRefusedByTheClient() {
    try (HearthClient client = HearthClient.connect(daemon.socket)) {
      RpcClient.Stream stream = client.openStream("test.echo", null, (fd, data) -> {});
      assertThatThrownBy(client::ping)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("still runs the stream of test.echo");
      stream.closeInput();
      Rpc.result(stream, "test.echo");
    }
  }

  @Test
  void aClientThatDisconnectsCancelsTheStream() throws Exception {
    HearthClient client = HearthClient.connect(daemon.socket);
    RpcClient.Stream stream = client.openStream("test.silent", null, (fd, data) -> {});
    Await.latch(silentStarted, "test.silent to start");
    stream.close();
    Await.latch(silentCancelled, "test.silent to be cancelled by the disconnect");
  }

  @Test
  void theIdleTimeoutDoesNotEndARunningStream() throws Exception {
    // Only this test has a short idle timeout: elsewhere a pause of the test's own thread (a
    // loaded machine) between two requests would let the daemon close the connection.
    daemon.close();
    daemon = start(TestDaemons.config(dir).with(ConfigKey.CLIENT_IDLE_TIMEOUT, "1s"));
    try (RawClient raw = RawClient.connect(daemon.socket)) {
      raw.sendLine("{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"test.echo\"}");
      Thread.sleep(3500); // more than three idle timeouts
      String data = Base64.getEncoder().encodeToString("still here".getBytes());
      raw.sendLine(
          "{\"jsonrpc\":\"2.0\",\"method\":\"session.write\",\"params\":{\"stream\":\"s1\","
              + "\"data\":\""
              + data
              + "\",\"eof\":true}}");
      JsonNode output = raw.readJson();
      assertThat(output.path("method").asText()).isEqualTo("stream.output");
      assertThat(output.path("params").path("stream").asText()).isEqualTo("s1");
      assertThat(output.path("params").path("fd").asInt()).isEqualTo(1);
      assertThat(output.path("params").path("data").asText()).isEqualTo(data);
      JsonNode reply = raw.readJson();
      assertThat(reply.path("id").asText()).isEqualTo("s1");
      assertThat(reply.path("result").path("copied").asInt()).isEqualTo(10);
    }
  }

  @Test
  void streamInputSentWithAnIdIsAnErrorAndTheStreamGoesOn() throws Exception {
    try (RawClient raw = RawClient.connect(daemon.socket)) {
      raw.sendLine("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\"}");
      JsonNode refused =
          raw.exchange(
              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"session.write\","
                  + "\"params\":{\"stream\":1,\"eof\":true}}");
      assertThat(refused.path("id").asInt()).isEqualTo(2);
      assertThat(refused.path("error").path("code").asInt()).isEqualTo(-32600);
      assertThat(refused.path("error").path("message").asText()).contains("as a notification");
      raw.sendLine(
          "{\"jsonrpc\":\"2.0\",\"method\":\"session.write\",\"params\":{\"stream\":1,"
              + "\"eof\":true}}");
      assertThat(raw.readJson().path("result").path("copied").asInt()).isZero();
    }
  }

  @Test
  void aRequestSentWhileAStreamRunsIsAnsweredAfterItsResult() throws Exception {
    try (RawClient raw = RawClient.connect(daemon.socket)) {
      raw.sendLine(
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\"}\n"
              + "{\"jsonrpc\":\"2.0\",\"method\":\"session.write\",\"params\":{\"stream\":1,"
              + "\"eof\":true}}\n"
              + "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"daemon.ping\"}");
      assertThat(raw.readJson().path("id").asInt()).isEqualTo(1);
      assertThat(raw.readJson().path("id").asInt()).isEqualTo(2);
    }
  }
}
