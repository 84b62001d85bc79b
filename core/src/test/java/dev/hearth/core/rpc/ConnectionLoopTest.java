package dev.hearth.core.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.testing.Await;
import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RPC event loop on real sockets: at-once requests answered on the loop's one thread, the hand
 * over to a thread of the connection's own (in order, for good), clients that hang up, say nothing
 * or do not read.
 */
class ConnectionLoopTest {
  private static final Duration LONG = Duration.ofMinutes(10);
  private static final String LOOP_THREAD = "hearth-rpc-loop";

  @TempDir Path dir;

  /** The thread each request ran on, by its params' {@code n}. */
  private final Map<Integer, String> threadOf = new ConcurrentHashMap<>();

  private final AtomicInteger handled = new AtomicInteger();
  private ServedSocket served;

  @AfterEach
  void stop() throws Exception {
    if (served != null) {
      served.close();
    }
  }

  /**
   * {@code ping} answers at once; {@code slow} is any other method. Both echo their {@code n}, and
   * pad their reply with {@code reply_bytes} bytes.
   */
  private final RequestHandler handler =
      new RequestHandler() {
        @Override
        public JsonNode handle(
            String method, ObjectNode params, NotificationSink sink, RequestStream stream) {
          threadOf.put(params.path("n").asInt(), Thread.currentThread().getName());
          handled.incrementAndGet();
          return Wire.object()
              .put("method", method)
              .put("n", params.path("n").asInt())
              .put("pad", "x".repeat(params.path("reply_bytes").asInt(0)));
        }

        @Override
        public boolean answersAtOnce(String method) {
          return method.equals("ping");
        }
      };

  private Path start(RpcServer.Limits limits) throws Exception {
    served =
        ServedSocket.start(
            dir.resolve("test.sock"), handler, limits, s -> new PeerCredentials(1000, 1000, 1));
    return served.path;
  }

  private Path start() throws Exception {
    return start(new RpcServer.Limits(16, 16, 0, LONG, LONG, Duration.ofSeconds(5)));
  }

  private static String request(String method, int n, String extra) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + n
        + ",\"method\":\""
        + method
        + "\",\"params\":{\"n\":"
        + n
        + extra
        + "}}\n";
  }

  private static void write(SocketChannel channel, String text) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  /** The next {@code count} lines the server writes, within the default deadline. */
  private static List<JsonNode> readLines(SocketChannel channel, int count) throws Exception {
    return Await.call(
        count + " line(s) from the server",
        () -> {
          List<JsonNode> lines = new ArrayList<>();
          StringBuilder line = new StringBuilder();
          ByteBuffer in = ByteBuffer.allocate(1);
          while (lines.size() < count) {
            in.clear();
            if (channel.read(in) < 0) {
              throw new IOException("the server closed the connection after " + lines);
            }
            if (in.get(0) == '\n') {
              lines.add(Wire.mapper().readTree(line.toString()));
              line.setLength(0);
            } else {
              line.append((char) in.get(0));
            }
          }
          return lines;
        });
  }

  private static List<Integer> ids(List<JsonNode> replies) {
    List<Integer> ids = new ArrayList<>();
    for (JsonNode r : replies) {
      ids.add(r.path("id").asInt());
    }
    return ids;
  }

  @Test
  void pingsOfManyConnectionsAreAnsweredOnTheLoopsOneThread() throws Exception {
    Path socket = start();
    List<SocketChannel> open = new ArrayList<>();
    for (int c = 0; c < 10; c++) {
      open.add(served.connect());
    }
    int n = 0;
    for (int round = 0; round < 3; round++) {
      for (SocketChannel channel : open) {
        n++;
        write(channel, request("ping", n, ""));
        assertThat(readLines(channel, 1).get(0).at("/result/n").asInt()).isEqualTo(n);
      }
    }
    assertThat(threadOf).hasSize(30);
    assertThat(threadOf.values()).containsOnly(LOOP_THREAD);
  }

  @Test
  void whenTheLoopFailsItsConnectionsEndAndNewOnesAreServedOnThreads() throws Exception {
    start();
    SocketChannel held = served.connect();
    write(held, request("ping", 1, ""));
    assertThat(readLines(held, 1).get(0).at("/result/n").asInt()).isEqualTo(1);

    served.server.breakEventLoop();
    Await.join(served.server.eventLoopThread(), "the event loop to end after its selector broke");
    Await.until(
        "the connection the loop held to be closed", () -> held.read(ByteBuffer.allocate(1)) < 0);

    for (int n = 2; n <= 4; n++) {
      SocketChannel later = served.connect();
      write(later, request("ping", n, "") + request("slow", n + 10, ""));
      assertThat(ids(readLines(later, 2))).containsExactly(n, n + 10);
      assertThat(threadOf.get(n)).startsWith("hearth-request-");
    }
  }

  @Test
  void aConnectionKeepsItsOrderWhenItMovesToAThreadAndStaysThere() throws Exception {
    Path socket = start();
    SocketChannel channel = served.connect();
    // One write: the loop reads all five lines at once, serves the first, hands over the rest.
    write(
        channel,
        request("ping", 1, "")
            + request("ping", 2, "")
            + request("slow", 3, "")
            + request("ping", 4, "")
            + request("slow", 5, ""));
    assertThat(ids(readLines(channel, 5))).containsExactly(1, 2, 3, 4, 5);
    write(channel, request("ping", 6, ""));
    assertThat(ids(readLines(channel, 1))).containsExactly(6);
    assertThat(threadOf.get(1)).isEqualTo(LOOP_THREAD);
    assertThat(threadOf.get(2)).isEqualTo(LOOP_THREAD);
    for (int n = 3; n <= 6; n++) {
      assertThat(threadOf.get(n)).as("request %d", n).startsWith("hearth-request-");
    }
  }

  @Test
  void aPingTheLoopCannotTakeAtOnceIsServedOnAThread() throws Exception {
    Path socket = start();
    // Not ASCII: the loop does not decode; longer than the loop reads: a thread reads it.
    SocketChannel accented = served.connect();
    write(accented, request("ping", 1, ",\"name\":\"caf\u00e9\""));
    SocketChannel longLine = served.connect();
    write(longLine, request("ping", 2, ",\"pad\":\"" + "x".repeat(100_000) + "\""));
    assertThat(ids(readLines(accented, 1))).containsExactly(1);
    assertThat(ids(readLines(longLine, 1))).containsExactly(2);
    assertThat(threadOf.get(1)).startsWith("hearth-request-");
    assertThat(threadOf.get(2)).startsWith("hearth-request-");
    // A malformed line gets the protocol's answer, as on a thread.
    SocketChannel malformed = served.connect();
    write(malformed, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"\n");
    assertThat(readLines(malformed, 1).get(0).at("/error/code").asInt()).isEqualTo(-32700);
  }

  @Test
  void clientsThatHangUpRightAfterTheirRequestStillHaveItServedAndFreeTheirSlots()
      throws Exception {
    // Two slots: each hung-up client must give its slot back for the next one to be served.
    Path socket = start(new RpcServer.Limits(2, 2, 0, LONG, LONG, Duration.ofSeconds(5)));
    for (int n = 1; n <= 40; n++) {
      try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        channel.connect(UnixDomainSocketAddress.of(socket));
        write(channel, request(n % 4 == 0 ? "slow" : "ping", n, ""));
      }
      int served = n;
      Await.until(
          "the request of hung-up client " + n + " to be served", () -> handled.get() == served);
    }
    SocketChannel last = served.connect();
    write(last, request("ping", 41, ""));
    assertThat(readLines(last, 1).get(0).at("/result/n").asInt()).isEqualTo(41);
  }

  @Test
  void aClientThatShutsDownItsSideStillReadsItsRepliesThenTheEnd() throws Exception {
    // As socat does: send the request, shut down writing, read the answer.
    Path socket = start();
    for (String method : List.of("ping", "slow")) {
      SocketChannel channel = served.connect();
      write(channel, request(method, 1, "") + request("ping", 2, ""));
      channel.shutdownOutput();
      assertThat(ids(readLines(channel, 2))).containsExactly(1, 2);
      assertThatThrownBy(() -> readLines(channel, 1))
          .isInstanceOf(IOException.class)
          .hasMessage("the server closed the connection after []");
    }
    Await.until("both connections to end", () -> served.server.openConnections() == 0);
  }

  @Test
  void aConnectionThatSaysNothingIsClosedAfterTheIdleTimeout() throws Exception {
    Path socket =
        start(new RpcServer.Limits(4, 4, 0, Duration.ofMillis(300), LONG, Duration.ofSeconds(5)));
    SocketChannel quiet = served.connect();
    Instant before = Instant.now();
    assertThatThrownBy(() -> readLines(quiet, 1))
        .isInstanceOf(IOException.class)
        .hasMessage("the server closed the connection after []");
    assertThat(Duration.between(before, Instant.now()))
        .isGreaterThanOrEqualTo(Duration.ofMillis(300));
    SocketChannel talking = served.connect();
    write(talking, request("ping", 1, ""));
    assertThat(ids(readLines(talking, 1))).containsExactly(1);
  }

  @Test
  void aClientThatSendsAndNeverReadsIsClosedWhileTheLoopServesTheOthers() throws Exception {
    Path socket =
        start(new RpcServer.Limits(4, 4, 0, LONG, Duration.ofMillis(500), Duration.ofSeconds(5)));
    SocketChannel greedy = served.connect();
    greedy.configureBlocking(false);
    ByteBuffer ping =
        ByteBuffer.wrap(
            request("ping", 0, ",\"reply_bytes\":65536").getBytes(StandardCharsets.UTF_8));
    // Pings until the client's socket takes no more. The replies of a few of them fill the socket
    // the client does not read, so the loop stops reading it well before that.
    Await.until(
        "the greedy client's socket to fill",
        () -> {
          for (int i = 0; i < 1_000; i++) {
            ping.rewind();
            if (greedy.write(ping) < ping.limit()) {
              return true;
            }
          }
          return false;
        });
    try (SocketChannel polite = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      polite.connect(UnixDomainSocketAddress.of(socket));
      write(polite, request("ping", 1, ""));
      assertThat(ids(readLines(polite, 1))).containsExactly(1);
    }
    // The write watchdog closes the greedy one (reading now would unblock the server's write).
    Await.until(
        "the write watchdog to close the greedy client's connection",
        () -> served.server.openConnections() == 0);
    // Its socket is closed: the replies written, then the end (or a reset: the server closed it
    // with pings still unread, and Linux then drops what was queued for the client).
    Await.until(
        "the greedy client's connection to end",
        () -> {
          ByteBuffer drain = ByteBuffer.allocate(1 << 16);
          int n;
          try {
            while ((n = greedy.read(drain)) > 0) {
              drain.clear();
            }
          } catch (SocketException reset) {
            assertThat(reset).hasMessage("Connection reset");
            return true;
          }
          return n < 0;
        });
  }
}
