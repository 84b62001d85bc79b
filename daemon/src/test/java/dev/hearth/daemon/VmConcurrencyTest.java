package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.testing.Await;
import dev.hearth.daemon.internal.api.HearthClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parallel creates and races on one VM. The 30 parallel creates use {@code no_start}: every
 * reservation (name, address, TAP) and disk is real, but no firecracker starts, since each fake
 * firecracker is a JVM and this machine has two cores. Any lock-order inversion would surface as an
 * {@code internal} error ({@link dev.hearth.core.OrderedLock} throws), which the tests refuse.
 */
class VmConcurrencyTest {
  private static final Set<String> EXPECTED_KINDS =
      Set.of("conflict", "not_found", "precondition_failed");

  @TempDir Path dir;
  VmFixture fx;

  @BeforeEach
  void start() {
    fx = new VmFixture(dir).start();
  }

  @AfterEach
  void stop() throws Exception {
    fx.close();
    VmAssertions.killLeftoverFakes(fx);
  }

  @Test
  void thirtyParallelCreatesGetDistinctAddressesAndTaps() throws Exception {
    int n = 30;
    List<JsonNode> created =
        parallel(
            n,
            i -> {
              try (HearthClient c = HearthClient.connect(fx.layout.socket())) {
                return VmFixture.parse(
                    Rpc.call(
                        c,
                        "vm.create",
                        "{\"name\": \"vm" + i + "\", \"image\": \"base\", \"no_start\": true}"));
              }
            });
    for (JsonNode c : created) {
      List<JsonNode> seen = fx.watch(c.path("op").path("id").asText());
      assertThat(seen.get(seen.size() - 1).path("state").asText()).isEqualTo("succeeded");
    }
    JsonNode vms = fx.call("vm.list", "{}").path("vms");
    assertThat(vms).hasSize(n);
    Set<String> ips = new HashSet<>();
    Set<String> taps = new HashSet<>();
    for (JsonNode vm : vms) {
      assertThat(vm.path("state").asText()).isEqualTo("stopped");
      ips.add(vm.path("ip").asText());
      taps.add(vm.path("tap").asText());
    }
    assertThat(ips).hasSize(n);
    assertThat(taps).hasSize(n);
    assertThat(new HashSet<>(fx.network.listTaps())).isEqualTo(taps);
  }

  @Test
  void parallelCreatesOfOneNameGiveOneVmAndConflicts() throws Exception {
    int n = 10;
    List<String> outcomes =
        parallel(
            n,
            i -> {
              try (HearthClient c = HearthClient.connect(fx.layout.socket())) {
                Rpc.call(
                    c,
                    "vm.create",
                    "{\"name\": \"same\", \"image\": \"base\", \"no_start\": true}");
                return "created";
              } catch (HearthException e) {
                return e.kind().wireName();
              }
            });
    assertThat(outcomes).containsOnlyOnce("created");
    assertThat(outcomes.stream().filter(o -> o.equals("conflict"))).hasSize(n - 1);
    assertThat(fx.call("vm.list", "{}").path("vms")).hasSize(1);
    assertThat(fx.network.listTaps()).hasSize(1);
  }

  @Test
  void createStopStartDeleteRacesOnOneVmNeverDeadlockNorInvertLocks() throws Exception {
    ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
    List<String> actions =
        List.of(
            "{\"method\": \"vm.create\", \"p\": {\"name\": \"race\", \"image\": \"base\","
                + " \"no_start\": true}}",
            "{\"method\": \"vm.start\", \"p\": {\"vm\": \"race\"}}",
            "{\"method\": \"vm.stop\", \"p\": {\"vm\": \"race\", \"timeout_seconds\": 5}}",
            "{\"method\": \"vm.kill\", \"p\": {\"vm\": \"race\"}}",
            "{\"method\": \"vm.delete\", \"p\": {\"vm\": \"race\", \"force\": true}}");
    int rounds = 3;
    parallel(
        actions.size(),
        i -> {
          JsonNode action = VmFixture.parse(actions.get(i));
          try (HearthClient c = HearthClient.connect(fx.layout.socket())) {
            for (int r = 0; r < rounds; r++) {
              try {
                Rpc.call(c, action.path("method").asText(), action.path("p").toString());
              } catch (HearthException e) {
                if (!EXPECTED_KINDS.contains(e.kind().wireName())) {
                  unexpected.add(
                      action.path("method").asText()
                          + ": "
                          + e.kind().wireName()
                          + " "
                          + e.getMessage());
                }
              }
            }
          }
          return null;
        });
    assertThat(unexpected).isEmpty();
    // Whatever won, the state is consistent: a settled VM or none, and the daemon still serves.
    for (JsonNode op : fx.call("op.list", "{}").path("ops")) {
      fx.watch(op.path("id").asText());
    }
    JsonNode vms = fx.call("vm.list", "{}").path("vms");
    if (vms.isEmpty()) {
      assertThat(fx.network.listTaps()).isEmpty();
    } else {
      JsonNode vm = vms.get(0);
      assertThat(vm.path("state").asText()).isIn("running", "stopped");
      fx.call("vm.delete", "{\"vm\": \"race\", \"force\": true}");
      VmAssertions.nothingLeft(fx, vm.path("id").asText(), vm.path("pid").asLong(0));
    }
  }

  private interface Task<T> {
    T run(int index) throws Exception;
  }

  /** Runs {@code n} tasks at once (released together) and returns their results in order. */
  private static <T> List<T> parallel(int n, Task<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int index = i;
        Callable<T> call =
            () -> {
              Await.latch(go, "the start signal");
              return task.run(index);
            };
        futures.add(pool.submit(call));
      }
      go.countDown();
      List<T> results = new ArrayList<>();
      for (int i = 0; i < futures.size(); i++) {
        results.add(Await.result(futures.get(i), Rpc.DEADLINE, "parallel task " + i));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
