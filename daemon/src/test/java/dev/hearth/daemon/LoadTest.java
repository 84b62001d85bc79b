package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
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
                      allConnected.await();
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
          total += result.get();
        }
        assertThat(total).isEqualTo(CLIENTS * PINGS);
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
