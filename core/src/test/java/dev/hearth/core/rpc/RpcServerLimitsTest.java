package dev.hearth.core.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listener's limits on real sockets: per-uid slots with slots kept for root (with injected
 * credentials, and with a real other user through setpriv), and the write timeout that disconnects
 * a client that stops reading a stream.
 */
class RpcServerLimitsTest {
  private static final Duration LONG = Duration.ofMinutes(10);
  private static final String CHUNK = "x".repeat(64 * 1024);

  @TempDir Path dir;
  private final AtomicInteger floods = new AtomicInteger();
  private final CountDownLatch floodEnded = new CountDownLatch(1);
  private ServedSocket served;

  @AfterEach
  void stop() throws Exception {
    if (served != null) {
      served.close();
    }
  }

  /** ping answers; flood sends 64 KiB notifications until a write fails, then answers. */
  private JsonNode handle(String method, NotificationSink sink) {
    if (method.equals("quiet")) {
      // A stream with nothing to say: keep-alive lines only, as vm logs --follow writes them.
      floods.incrementAndGet();
      try {
        while (true) {
          sink.keepAlive();
          Thread.sleep(5);
        }
      } catch (IOException clientGone) {
        floodEnded.countDown();
        return Wire.object().put("ended", true);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Wire.object().put("interrupted", true);
      }
    }
    if (method.equals("flood")) {
      floods.incrementAndGet();
      try {
        while (true) {
          sink.send("flood.data", Wire.object().put("data", CHUNK));
        }
      } catch (IOException clientGone) {
        floodEnded.countDown();
        return Wire.object().put("ended", true);
      }
    }
    return Wire.object().put("pong", true);
  }

  private Path start(RpcServer.Limits limits, Optional<BlockingQueue<Long>> uids) throws Exception {
    RpcServer.CredentialsReader credentials =
        uids.isPresent()
            ? s -> new PeerCredentials(nextUid(uids.get()), 0, 0)
            : RpcServer.KERNEL_CREDENTIALS;
    served =
        ServedSocket.start(
            dir.resolve("test.sock"),
            (method, params, sink, stream) -> handle(method, sink),
            limits,
            credentials);
    return served.path;
  }

  private static long nextUid(BlockingQueue<Long> uids) throws IOException {
    try {
      return Await.take(uids, Await.DEFAULT, "the uid of the next client");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static void send(SocketChannel channel, String method) throws IOException {
    String line = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\"}\n";
    channel.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
  }

  /** The next line the server writes, within the default deadline. */
  private static JsonNode readLine(SocketChannel channel) throws Exception {
    return Await.call(
        "a line from the server",
        () -> {
          ByteBuffer in = ByteBuffer.allocate(1 << 16);
          while (in.position() == 0 || in.get(in.position() - 1) != '\n') {
            if (channel.read(in) < 0) {
              throw new IOException("the server closed the connection");
            }
          }
          return Wire.mapper()
              .readTree(new String(in.array(), 0, in.position(), StandardCharsets.UTF_8));
        });
  }

  private static JsonNode ping(Path socket) throws Exception {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      send(channel, "ping");
      return readLine(channel);
    }
  }

  /** Whether a ping is answered; while the slot is still taken it is refused (busy, or closed). */
  private static boolean servedInAFreeSlot(Path socket) throws Exception {
    try {
      return ping(socket).at("/result/pong").asBoolean(false);
    } catch (IOException refusedAndClosed) {
      return false;
    }
  }

  @Test
  void oneUserFillsOnlyItsShareAndTheLastSlotsAreRoots() throws Exception {
    BlockingQueue<Long> uids = new LinkedBlockingQueue<>();
    Path socket =
        start(new RpcServer.Limits(6, 2, 2, LONG, LONG, Duration.ofSeconds(5)), Optional.of(uids));
    // uid 1000 takes its two slots and keeps them, saying nothing.
    for (int i = 0; i < 2; i++) {
      uids.put(1000L);
      send(served.connect(), "flood");
    }
    Await.until("both floods of uid 1000 to run", () -> floods.get() == 2);
    uids.put(1000L);
    JsonNode third = readLine(served.connect());
    assertThat(third.at("/error/data/kind").textValue()).isEqualTo("busy");
    assertThat(third.at("/error/message").textValue())
        .contains("uid 1000 already has 2 connections")
        .contains("max_connections_per_uid");
    // Another user is still served, up to the shared slots (6 - 2 kept for root).
    for (int i = 0; i < 2; i++) {
      uids.put(1001L);
      SocketChannel other = served.connect();
      send(other, "ping");
      assertThat(readLine(other).at("/result/pong").booleanValue()).isTrue();
    }
    uids.put(1002L);
    JsonNode shared = readLine(served.connect());
    assertThat(shared.at("/error/message").textValue())
        .contains("root_reserved_connections")
        .contains("kept for root");
    // Root gets the kept slots.
    for (int i = 0; i < 2; i++) {
      uids.put(0L);
      SocketChannel root = served.connect();
      send(root, "ping");
      assertThat(readLine(root).at("/result/pong").booleanValue()).isTrue();
    }
    uids.put(0L);
    assertThat(readLine(served.connect()).at("/error/message").textValue())
        .contains("max_connections");
  }

  @Test
  void aClientThatStopsReadingAStreamIsDisconnectedAndItsSlotFreed() throws Exception {
    // One slot only: the stalled client holds it until the write timeout frees it.
    Path socket =
        start(
            new RpcServer.Limits(1, 1, 0, LONG, Duration.ofMillis(500), Duration.ofSeconds(5)),
            Optional.empty());
    SocketChannel stalled = served.connect();
    send(stalled, "flood");
    Await.latch(floodEnded, "the flood's write to fail once the client stopped reading");
    Await.until("a new client to be served in the freed slot", () -> servedInAFreeSlot(socket));
  }

  @Test
  void aClientThatDoesNotReadAQuietStreamIsDisconnectedOnceItsKeepAlivesFillTheSocket()
      throws Exception {
    Path socket =
        start(
            new RpcServer.Limits(1, 1, 0, LONG, Duration.ofMillis(500), Duration.ofSeconds(5)),
            Optional.empty());
    send(served.connect(), "quiet");
    Await.latch(
        floodEnded, "the quiet stream's keep-alive to fail once the client's socket filled");
    Await.until("a new client to be served in the freed slot", () -> servedInAFreeSlot(socket));
  }

  /**
   * A JDK-only client run as another user: {@code Client SOCKET COUNT METHOD hold|print} opens
   * COUNT connections and sends METHOD on each; hold never reads and sleeps, print prints the first
   * line of each reply and exits. A connection the server refuses is skipped.
   */
  private static final String CLIENT =
      String.join(
          "\n",
          "import java.net.*;",
          "import java.nio.*;",
          "import java.nio.channels.*;",
          "import java.nio.charset.StandardCharsets;",
          "import java.nio.file.Path;",
          "import java.util.*;",
          "public class Client {",
          "  public static void main(String[] args) throws Exception {",
          "    List<SocketChannel> held = new ArrayList<>();",
          "    String req = \"{'jsonrpc':'2.0','id':1,'method':'M'}\\n\"",
          "        .replace('\\'', '\"').replace(\"M\", args[2]);",
          "    for (int i = 0; i < Integer.parseInt(args[1]); i++) {",
          "      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);",
          "      ch.connect(UnixDomainSocketAddress.of(Path.of(args[0])));",
          "      held.add(ch);",
          "      try {",
          "        ch.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.UTF_8)));",
          "      } catch (java.io.IOException refused) {",
          "        continue;",
          "      }",
          "      if (args[3].equals(\"print\")) {",
          "        ByteBuffer in = ByteBuffer.allocate(65536);",
          "        while (ch.read(in) > 0 && in.get(in.position() - 1) != '\\n') {}",
          "        System.out.print(new String(in.array(), 0, in.position(), StandardCharsets.UTF_8));",
          "      }",
          "    }",
          "    System.out.flush();",
          "    if (args[3].equals(\"hold\")) {",
          "      Thread.sleep(Long.MAX_VALUE);",
          "    }",
          "  }",
          "}",
          "");

  @Test
  @RequiresRoot
  @RequiresBinary("setpriv")
  void aRealOtherUserThatHogsConnectionsLocksOutNeitherRootNorAThirdUser() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path client = dir.resolve("Client.java");
    Files.writeString(client, CLIENT, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(client, PosixFilePermissions.fromString("rw-r--r--"));
    // Slots: 4 in all, 2 for any one user, 1 kept for root.
    Path socket =
        start(new RpcServer.Limits(4, 2, 1, LONG, LONG, Duration.ofSeconds(5)), Optional.empty());
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
    // uid 65534 opens 5 connections, starts a flood on each it gets and never reads.
    Process hog = asUser(65534, client.toString(), socket.toString(), "5", "flood", "hold");
    try {
      Await.until("the hog's admitted floods to run", () -> floods.get() >= 2);
      assertThat(hog.isAlive()).as("the hog still holds its connections").isTrue();
      // A third user (uid 65533) is answered.
      Process third = asUser(65533, client.toString(), socket.toString(), "1", "ping", "print");
      Await.Output out = Await.output(third, Duration.ofMinutes(2), "the third user's ping");
      assertThat(out.stdout()).as(out.stderr()).contains("\"pong\":true");
      // And so is root.
      assertThat(ping(socket).at("/result/pong").booleanValue()).isTrue();
    } finally {
      hog.destroyForcibly();
      Await.exit(hog, Duration.ofMinutes(1), "the hog to end");
    }
  }

  private static Process asUser(int uid, String... args) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--reuid=" + uid,
                "--regid=" + uid,
                "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData"));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).start();
  }
}
