package dev.hearth.daemon.internal.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.core.testing.Await;
import dev.hearth.daemon.Vms;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The event stream's subscribers, over real sockets: their bytes, their slots. */
class WebEventsTest {
  @TempDir Path dir;
  WebServer server;
  RawHttp http;
  String cookie;

  private void serve(WebSources sources) throws IOException {
    server =
        WebServer.start(
            new WebServer.Settings(
                "127.0.0.1:0",
                dir.resolve("web.url"),
                OptionalInt.empty(),
                Posix.system(),
                Clock.system()),
            sources);
    http = new RawHttp(server.address());
    cookie = http.login(server.url());
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aSubscriberThatDoesNotReadIsDroppedOnceItsEventsPassTheByteBudget() throws Exception {
    // A console of 1 MiB that changes at every poll: one event of 1 MiB every 500 ms.
    AtomicInteger reads = new AtomicInteger();
    serve(
        FakeSources.withConsole(
            () -> {
              byte[] text = new byte[1 << 20];
              Arrays.fill(text, (byte) 'x');
              byte[] count = Integer.toString(reads.incrementAndGet()).getBytes();
              System.arraycopy(count, 0, text, 0, count.length);
              return text;
            }));
    try (Socket page = new Socket()) {
      page.setReceiveBufferSize(4096);
      page.connect(server.address());
      // A byte after the request stays unread by the server, so that its close is a reset, which
      // a write here then meets: the stream itself is never read.
      OutputStream out = page.getOutputStream();
      out.write(
          ("GET /api/events?vm=web1 HTTP/1.1\r\nHost: "
                  + http.host()
                  + "\r\nCookie: "
                  + cookie
                  + "\r\n\r\nX")
              .getBytes(StandardCharsets.US_ASCII));
      Await.until(
          "the server to drop the subscriber that does not read",
          () -> {
            try {
              out.write('X');
              out.flush();
              return false;
            } catch (IOException e) {
              return true;
            }
          });
    }
    // Dropped, no one listens: the console is read no more.
    assertThat(reads.get())
        .as("console events made before the subscriber was dropped")
        .isLessThan(WebEvents.QUEUE);
  }

  @Test
  void aSubscribeThatFailsGivesItsSlotBack() throws Exception {
    AtomicBoolean failing = new AtomicBoolean(true);
    WebSources sources = FakeSources.withConsole(() -> new byte[0]);
    serve(
        new WebSources(
            FakeSources.fake(
                Vms.class,
                Map.of(
                    "list",
                    args -> {
                      if (failing.get()) {
                        throw new IllegalStateException("the VM table cannot be read");
                      }
                      return List.of();
                    })),
            sources.ops(),
            sources.images(),
            sources.sessions(),
            sources.workspaces(),
            sources.doctor(),
            sources.dnsDomain()));
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i <= WebEvents.MAX_SUBSCRIBERS; i++) {
      statuses.add(http.get("/api/events", "Cookie: " + cookie).status());
    }
    failing.set(false);
    List<Socket> pages = new ArrayList<>();
    try {
      for (int i = 0; i < WebEvents.MAX_SUBSCRIBERS; i++) {
        pages.add(http.openEvents("/api/events", cookie));
      }
    } finally {
      for (Socket s : pages) {
        s.close();
      }
    }
    // The failure was an error answer: nothing of a stream had gone out.
    assertThat(statuses).containsOnly(500);
  }
}
