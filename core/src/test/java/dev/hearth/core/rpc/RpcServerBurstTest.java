package dev.hearth.core.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.testing.Await;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A burst of 1,000 connects from several threads at once, each connect non-blocking (as a client
 * with a connect timeout of zero makes it): not one is refused by the kernel (EAGAIN, a full listen
 * backlog), and each is either served or answered {@code busy} naming max_connections.
 */
class RpcServerBurstTest {
  private static final int CLIENT_THREADS = 8;
  private static final int CONNECTS_PER_THREAD = 125;
  private static final int MAX_CONNECTIONS = 50;
  private static final Duration LONG = Duration.ofMinutes(10);

  @TempDir Path dir;
  private ServedSocket served;

  @AfterEach
  void stop() throws Exception {
    if (served != null) {
      served.close();
    }
  }

  /** What one thread's connects came to. */
  private record Outcome(int served, List<String> busy, List<String> failed) {}

  @Test
  void aBurstOfAThousandConnectsIsRefusedNoneAndEachIsServedOrToldBusy() throws Exception {
    Path socket = dir.resolve("burst.sock");
    served =
        ServedSocket.start(
            socket,
            (method, params, sink, stream) -> Wire.object().put("pong", true),
            new RpcServer.Limits(
                MAX_CONNECTIONS, MAX_CONNECTIONS, 0, LONG, LONG, Duration.ofSeconds(5)),
            RpcServer.KERNEL_CREDENTIALS);

    CountDownLatch go = new CountDownLatch(1);
    List<Future<Outcome>> threads = new ArrayList<>();
    for (int t = 0; t < CLIENT_THREADS; t++) {
      threads.add(Await.async("burst client " + t, () -> burst(socket, go)));
    }
    go.countDown();

    int served = 0;
    List<String> busy = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (Future<Outcome> thread : threads) {
      // Every connection served stays open, so the answers need nothing but the server.
      Outcome o =
          Await.result(
              thread,
              Duration.ofMinutes(2),
              "a client thread's " + CONNECTS_PER_THREAD + " connects and their answers");
      served += o.served();
      busy.addAll(o.busy());
      failed.addAll(o.failed());
    }
    assertThat(failed).as("connects refused or left without an answer").isEmpty();
    // The served connections are all held open, so exactly max_connections are served.
    assertThat(served).isEqualTo(MAX_CONNECTIONS);
    assertThat(busy).hasSize(CLIENT_THREADS * CONNECTS_PER_THREAD - MAX_CONNECTIONS);
    assertThat(busy)
        .allSatisfy(
            m -> assertThat(m).contains("maximum of " + MAX_CONNECTIONS, "max_connections"));
  }

  /** Connects as fast as it can, then asks each connection for an answer. */
  private Outcome burst(Path socket, CountDownLatch go) throws Exception {
    List<SocketChannel> mine = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    go.await();
    for (int i = 0; i < CONNECTS_PER_THREAD; i++) {
      SocketChannel channel = served.open();
      channel.configureBlocking(false);
      try {
        // A Unix socket connects at once or fails (EAGAIN when the backlog is full).
        if (channel.connect(UnixDomainSocketAddress.of(socket))) {
          mine.add(channel);
        } else {
          failed.add("connect " + i + " did not complete at once");
        }
      } catch (IOException e) {
        failed.add("connect " + i + ": " + e);
      }
    }
    int served = 0;
    List<String> busy = new ArrayList<>();
    byte[] ping =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n".getBytes(StandardCharsets.UTF_8);
    for (SocketChannel channel : mine) {
      channel.configureBlocking(true);
      try {
        channel.write(ByteBuffer.wrap(ping));
      } catch (IOException toldBusyAndClosed) {
        // The busy answer is already in this socket's receive queue.
      }
      JsonNode answer;
      try {
        answer = readLine(channel);
      } catch (IOException e) {
        failed.add("no answer: " + e);
        continue;
      }
      if (answer.at("/result/pong").asBoolean(false)) {
        served++;
      } else if ("busy".equals(answer.at("/error/data/kind").textValue())) {
        busy.add(answer.at("/error/message").textValue());
      } else {
        failed.add("unexpected answer: " + answer);
      }
    }
    return new Outcome(served, busy, failed);
  }

  private static JsonNode readLine(SocketChannel channel) throws IOException {
    ByteBuffer in = ByteBuffer.allocate(1 << 12);
    while (in.position() == 0 || in.get(in.position() - 1) != '\n') {
      if (channel.read(in) < 0) {
        throw new IOException("the server closed the connection before a whole line");
      }
    }
    return Wire.mapper().readTree(new String(in.array(), 0, in.position(), StandardCharsets.UTF_8));
  }
}
