package dev.hearth.opstate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.Await;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Watching operations: every change in order, slow watchers, closed watches. */
class RegistryWatchTest extends RegistryFixture {
  @Test
  void watcherGetsEveryChangeInOrderEndingWithTheFinalSnapshot() throws Exception {
    CreateOp op = new CreateOp("demo", 1);
    CountDownLatch go = new CountDownLatch(1);
    registry.start(
        op,
        o -> {
          Await.latch(go, "the watcher to subscribe");
          o.stage("reserve");
          o.stage("rootfs", 10);
          o.progress(90);
          o.log("grown to 2 GiB");
          o.stage("boot");
          return "vm-1";
        });
    List<OpSnapshot> seen = new ArrayList<>();
    try (OpWatch watch = registry.watch(op.id())) {
      go.countDown();
      while (!watch.done()) {
        seen.add(
            watch
                .next(WAIT)
                .orElseThrow(() -> new AssertionError("no change of the op within " + WAIT)));
      }
      assertThat(watch.next(WAIT)).isEmpty();
      assertThat(watch.dropped()).isZero();
    }
    assertThat(seen).extracting(OpSnapshot::version).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
    assertThat(seen)
        .extracting(OpSnapshot::stage)
        .containsExactly("pending", "reserve", "rootfs", "rootfs", "rootfs", "boot", "boot");
    assertThat(seen.get(3).percent()).isEqualTo(OptionalInt.of(90));
    assertThat(seen.get(4).log()).containsExactly("grown to 2 GiB");
    assertThat(seen.get(6).state()).isEqualTo(OpState.SUCCEEDED);
    assertThat(seen.get(6).result()).contains("vm-1");
  }

  @Test
  void slowWatcherDropsOldestButNeverBlocksUpdatesAndKeepsTheFinalSnapshot() throws Exception {
    CreateOp op = startBlocked("demo", "boot");
    OpWatch slow = registry.watch(op.id(), 2);
    // On a thread of its own: a watcher that blocked the registry would hang it.
    ExecutorService logger = Executors.newSingleThreadExecutor();
    try {
      Await.result(
          logger.submit(
              () -> {
                for (int i = 0; i < 100; i++) {
                  op.log("line " + i);
                }
                return null;
              }),
          WAIT,
          "100 log lines with a watcher that reads none (updates must never block)");
    } finally {
      logger.shutdownNow();
    }
    release.countDown();
    OpSnapshot last = registry.awaitFinish(op.id(), WAIT);

    // Offered: the current snapshot, 100 log changes and the final one; 2 fit.
    assertThat(slow.dropped()).isEqualTo(100);
    OpSnapshot beforeLast = slow.next(WAIT).orElseThrow();
    assertThat(beforeLast.log()).endsWith("line 99");
    assertThat(beforeLast.state()).isEqualTo(OpState.RUNNING);
    assertThat(slow.next(WAIT)).contains(last);
    assertThat(slow.done()).isTrue();
  }

  @Test
  void watchOfAFinishedOpYieldsJustTheFinalSnapshot() throws Exception {
    CreateOp op = new CreateOp("demo", 1);
    OpSnapshot last = registry.run(op, o -> "r");
    try (OpWatch watch = registry.watch(op.id())) {
      assertThat(watch.next(WAIT)).contains(last);
      assertThat(watch.done()).isTrue();
    }
  }

  @Test
  void closedWatchStopsReceiving() throws Exception {
    CreateOp op = startBlocked("demo", "boot");
    OpWatch watch = registry.watch(op.id());
    assertThat(watch.next(WAIT)).isPresent();
    watch.close();
    op.log("after close");
    assertThat(watch.next(WAIT)).isEmpty();
  }
}
