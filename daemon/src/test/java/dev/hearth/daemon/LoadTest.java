package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.Await;
import dev.hearth.daemon.internal.api.HearthClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadTest {
  private static final int CLIENTS = 100;
  private static final int PINGS = 100;

  @TempDir Path dir;

  @Test
  void hundredConcurrentClientsEachSendHundredPings() throws Exception {
    try (TestDaemons.Running daemon = TestDaemons.start(TestDaemons.config(dir))) {
      ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
      CountDownLatch allConnected = new CountDownLatch(CLIENTS);
      try {
        List<Future<Integer>> results = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
          results.add(
              pool.submit(
                  () -> {
                    try (HearthClient client = HearthClient.connect(daemon.socket)) {
                      allConnected.countDown();
                      Await.latch(allConnected, "every client to connect");
                      int pongs = 0;
                      for (int p = 0; p < PINGS; p++) {
                        client.ping();
                        pongs++;
                      }
                      return pongs;
                    }
                  }));
        }
        int total = 0;
        for (Future<Integer> result : results) {
          total += Await.result(result, "a client's hundred pings");
        }
        assertThat(total).isEqualTo(CLIENTS * PINGS);
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
