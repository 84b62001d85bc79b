package dev.hearth.daemon.internal.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.core.testing.Await;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web listener against local clients without the token that hold connections: over real
 * sockets, on a server whose exchanges may hold a thread {@link #EXCHANGE_TIME}.
 */
class WebServerLimitsTest {
  private static final Duration EXCHANGE_TIME = Duration.ofSeconds(2);

  /** The limits are seconds; a loaded two-core machine is slow. */
  private static final Duration CLOSE_DEADLINE = Duration.ofSeconds(45);

  @TempDir Path dir;
  final AtomicReference<String> console = new AtomicReference<>("booting\n");
  WebServer server;
  RawHttp http;
  String cookie;

  @BeforeEach
  void start() throws Exception {
    server =
        WebServer.start(
            new WebServer.Settings(
                "127.0.0.1:0",
                dir.resolve("web.url"),
                OptionalInt.empty(),
                Posix.system(),
                Clock.system()),
            FakeSources.withConsole(() -> console.get().getBytes(StandardCharsets.UTF_8)),
            EXCHANGE_TIME);
    http = new RawHttp(server.address());
    cookie = http.login(server.url());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void connectionsThatSendNothingOrHalfARequestAreClosedAndThePageIsStillServed() throws Exception {
    // A page follows a VM all along: longer than a request may take and an exchange may last.
    try (Socket events = http.openEvents("/api/events?vm=web1", cookie)) {
      InputStream in = events.getInputStream();
      RawHttp.awaitEvent(in, "console", data -> data.contains("booting"));
      assertThat(http.get("/api/vms", "Cookie: " + cookie).status()).isEqualTo(200);
      long filesBefore = openFiles();

      // More than the server's connections, and than its threads and queue, each held open.
      int count = WebServer.MAX_CONNECTIONS + WebServer.QUEUE;
      List<Socket> stalled = new ArrayList<>();
      try {
        for (int i = 0; i < count; i++) {
          Socket s = http.connect();
          stalled.add(s);
          if (i % 2 == 1) {
            try {
              s.getOutputStream().write("GET /api/vm".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
              // Closed at once already: one past the server's connections.
            }
          }
        }
        long deadline = System.nanoTime() + CLOSE_DEADLINE.toNanos();
        for (int i = 0; i < count; i++) {
          String what =
              "stalled connection " + i + (i % 2 == 1 ? " (half a request line)" : " (silent)");
          RawHttp.awaitClosedByServer(stalled.get(i), deadline, what);
        }
      } finally {
        for (Socket s : stalled) {
          s.close();
        }
      }

      assertThat(http.get("/api/vms", "Cookie: " + cookie).status()).isEqualTo(200);
      Await.until(
          "the process's open files to be back to " + filesBefore + " (16 to spare)",
          () -> openFiles() <= filesBefore + 16);
      console.set("booting\nlogin:\n");
      RawHttp.awaitEvent(in, "console", data -> data.contains("login:"));
    }
  }

  @Test
  void aClientThatDoesNotReadItsAnswersIsCutOffAndThePageIsStillServed() throws Exception {
    byte[] request =
        ("GET /style.css HTTP/1.1\r\nHost: " + http.host() + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    List<Socket> readers = new ArrayList<>();
    CountDownLatch cutOff = new CountDownLatch(WebServer.THREADS);
    try {
      for (int i = 0; i < WebServer.THREADS; i++) {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(server.address());
        readers.add(s);
        // Requests without end, no answer read: the server's writes fill the buffers and block.
        Thread pipelining =
            new Thread(
                () -> {
                  try {
                    OutputStream out = s.getOutputStream();
                    while (true) {
                      out.write(request);
                    }
                  } catch (IOException e) {
                    cutOff.countDown(); // the server closed the connection
                  }
                },
                "pipelining-" + i);
        pipelining.setDaemon(true);
        pipelining.start();
      }
      assertThat(cutOff.await(CLOSE_DEADLINE.toSeconds(), TimeUnit.SECONDS))
          .as("every connection that does not read its answers closed by the server in time")
          .isTrue();
    } finally {
      for (Socket s : readers) {
        s.close();
      }
    }
    assertThat(http.get("/api/vms", "Cookie: " + cookie).status()).isEqualTo(200);
  }

  private static long openFiles() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("/proc/self/fd"))) {
      return files.count();
    }
  }
}
