package dev.hearth.opstate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.Await;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class RegistryTest extends RegistryFixture {

  @Test
  void succeededOpRecordsStagesProgressLogAndResult() throws Exception {
    CreateOp op = new CreateOp("demo", 4);
    OpSnapshot first =
        registry.start(
            op,
            o -> {
              o.stage("reserve");
              o.log("reserved 10.77.0.2");
              clock.advance(Duration.ofSeconds(3));
              o.stage("rootfs", 0);
              o.progress(50);
              o.log("copied\nresized");
              return "vm-" + o.vcpus;
            });
    assertThat(first.state()).isEqualTo(OpState.RUNNING);
    assertThat(first.stage()).isEqualTo("pending");
    assertThat(first.kind()).isEqualTo("vm.create");
    assertThat(first.target()).isEqualTo("demo");
    assertThat(first.startedAt()).isEqualTo(Instant.parse("2026-03-01T10:00:00Z"));
    assertThat(first.finishedAt()).isEmpty();

    OpSnapshot last = registry.awaitFinish(op.id(), WAIT);
    assertThat(last.state()).isEqualTo(OpState.SUCCEEDED);
    assertThat(last.stage()).isEqualTo("rootfs");
    assertThat(last.percent()).isEqualTo(OptionalInt.of(50));
    assertThat(last.log()).containsExactly("reserved 10.77.0.2", "copied", "resized");
    assertThat(last.logCount()).isEqualTo(3);
    assertThat(last.result()).contains("vm-4");
    assertThat(last.error()).isEmpty();
    assertThat(last.finishedAt()).contains(Instant.parse("2026-03-01T10:00:03Z"));
    // pending -> 6 changes -> finished
    assertThat(last.version()).isEqualTo(6);
    assertThat(registry.get(op.id())).isEqualTo(last);
    assertThat(registry.find(op.id())).containsSame(op);
  }

  @Test
  void newStageForgetsThePercentOfThePreviousOne() {
    CreateOp op = new CreateOp("demo", 1);
    OpSnapshot last =
        registry.run(
            op,
            o -> {
              o.stage("rootfs", 80);
              o.stage("identity");
              return null;
            });
    assertThat(last.stage()).isEqualTo("identity");
    assertThat(last.percent()).isEmpty();
    assertThat(last.result()).isEmpty();
  }

  @Test
  void failureKeepsTheStageAndTheReason() throws Exception {
    CreateOp op = new CreateOp("demo", 1);
    registry.start(
        op,
        o -> {
          o.stage("rootfs");
          throw new IOException("no space left on /var/lib/hearth");
        });
    OpSnapshot last = registry.awaitFinish(op.id(), WAIT);
    assertThat(last.state()).isEqualTo(OpState.FAILED);
    assertThat(last.error()).contains(new OpError("rootfs", "no space left on /var/lib/hearth"));
  }

  @Test
  void logKeepsTheMostRecentLines() {
    CreateOp op = new CreateOp("demo", 1);
    OpSnapshot last =
        registry.run(
            op,
            o -> {
              for (int i = 0; i < AsyncOp.MAX_LOG_LINES + 50; i++) {
                o.log("line-" + i);
              }
              o.log("x".repeat(AsyncOp.MAX_LOG_LINE_CHARS + 10));
              return null;
            });
    assertThat(last.log()).hasSize(AsyncOp.MAX_LOG_LINES);
    assertThat(last.log().get(0)).isEqualTo("line-51");
    assertThat(last.log().get(AsyncOp.MAX_LOG_LINES - 2)).isEqualTo("line-149");
    assertThat(last.log().get(AsyncOp.MAX_LOG_LINES - 1))
        .hasSize(AsyncOp.MAX_LOG_LINE_CHARS + 1)
        .endsWith("…");
    assertThat(last.logCount()).isEqualTo(AsyncOp.MAX_LOG_LINES + 51);
  }

  @Test
  void updatesAfterTheEndAreIgnored() {
    CreateOp op = new CreateOp("demo", 1);
    OpSnapshot last = registry.run(op, o -> "ok");
    op.stage("late");
    op.log("late line");
    assertThat(registry.get(op.id())).isEqualTo(last);
  }

  @Test
  void rejectsOtherKindsBadPercentAndUnstartedOps() {
    Registry<AsyncOp> builds = new Registry<>(clock, RETENTION, Set.of("image.build"));
    assertThatThrownBy(() -> builds.run(new AsyncOp("vm.create", "x"), o -> null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vm.create");
    CreateOp unstarted = new CreateOp("demo", 1);
    assertThatThrownBy(() -> unstarted.stage("x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(unstarted.id());
    OpSnapshot last =
        registry.run(
            new CreateOp("demo", 1),
            o -> {
              o.progress(101);
              return null;
            });
    assertThat(last.error().orElseThrow().message()).contains("101");
  }

  @Test
  void lookupByUniquePrefixAmbiguousPrefixAndUnknownId() throws Exception {
    // 17 ops: two of them must share their first hex digit.
    List<CreateOp> ops = new ArrayList<>();
    for (int i = 0; i < 17; i++) {
      CreateOp op = new CreateOp("vm" + i, 1);
      registry.run(op, o -> null);
      ops.add(op);
    }
    Map<Character, List<CreateOp>> byFirst = new HashMap<>();
    ops.forEach(op -> byFirst.computeIfAbsent(op.id().charAt(0), c -> new ArrayList<>()).add(op));
    List<CreateOp> shared =
        byFirst.values().stream().filter(l -> l.size() > 1).findFirst().orElseThrow();

    CreateOp one = shared.get(0);
    assertThat(registry.get(one.id()).target()).isEqualTo(one.target());
    String unique = uniquePrefix(one, ops);
    assertThat(registry.get(unique).id()).isEqualTo(one.id());

    String ambiguous = one.id().substring(0, 1);
    assertThatThrownBy(() -> registry.get(ambiguous))
        .isInstanceOf(AmbiguousOpIdException.class)
        .hasMessageContaining(shared.get(0).id())
        .hasMessageContaining(shared.get(1).id());
    assertThat(registry.matching(ambiguous)).hasSizeGreaterThanOrEqualTo(2);

    String absent = flipLastDigit(one.id());
    assertThatThrownBy(() -> registry.get(absent))
        .isInstanceOf(OpNotFoundException.class)
        .hasMessageContaining(absent);
    assertThatThrownBy(() -> registry.get("zz")).isInstanceOf(OpNotFoundException.class);
    assertThatThrownBy(() -> registry.get("")).isInstanceOf(OpNotFoundException.class);
  }

  private static String uniquePrefix(CreateOp op, List<CreateOp> all) {
    for (int n = 1; n <= op.id().length(); n++) {
      String prefix = op.id().substring(0, n);
      if (all.stream().filter(o -> o.id().startsWith(prefix)).count() == 1) {
        return prefix;
      }
    }
    throw new AssertionError("ids are unique");
  }

  private static String flipLastDigit(String id) {
    char last = id.charAt(id.length() - 1);
    return id.substring(0, id.length() - 1) + (last == '0' ? '1' : '0');
  }

  @Test
  void awaitFinishTimesOutWhileRunningAndReturnsOnceFinished() throws Exception {
    CreateOp op = startBlocked("demo", "boot");
    assertThatThrownBy(() -> registry.awaitFinish(op.id(), Duration.ofMillis(20)))
        .isInstanceOf(OpWaitTimeoutException.class)
        .hasMessageContaining(op.id())
        .hasMessageContaining("'boot'");

    ExecutorService waiter = Executors.newSingleThreadExecutor();
    try {
      Future<OpSnapshot> waited = waiter.submit(() -> registry.awaitFinish(op.id(), WAIT));
      release.countDown();
      OpSnapshot last = Await.result(waited, WAIT, "awaitFinish of the released op");
      assertThat(last.state()).isEqualTo(OpState.SUCCEEDED);
      assertThat(last.result()).contains("done");
    } finally {
      waiter.shutdownNow();
    }
  }

  @Test
  void pruningAfterTheRetentionRemovesOnlyFinishedOps() throws Exception {
    CreateOp finished = new CreateOp("old", 1);
    registry.run(finished, o -> null);
    CreateOp running = startBlocked("busy", "boot");

    clock.advance(RETENTION.minusSeconds(1));
    registry.prune();
    assertThat(registry.get(finished.id()).state()).isEqualTo(OpState.SUCCEEDED);

    clock.advance(Duration.ofSeconds(1));
    registry.prune();
    assertThatThrownBy(() -> registry.get(finished.id())).isInstanceOf(OpNotFoundException.class);
    assertThat(registry.get(running.id()).state()).isEqualTo(OpState.RUNNING);
    assertThat(registry.list()).extracting(OpSnapshot::id).containsExactly(running.id());
  }

  @Test
  void listShowsRunningOldestFirstThenFinishedMostRecentFirst() throws Exception {
    CreateOp done1 = new CreateOp("a", 1);
    registry.run(done1, o -> null);
    clock.advance(Duration.ofSeconds(1));
    CreateOp run1 = startBlocked("b", "boot");
    clock.advance(Duration.ofSeconds(1));
    CreateOp done2 = new CreateOp("c", 1);
    registry.run(done2, o -> null);
    clock.advance(Duration.ofSeconds(1));
    CreateOp run2 = startBlocked("d", "boot");

    assertThat(registry.list())
        .extracting(OpSnapshot::id)
        .containsExactly(run1.id(), run2.id(), done2.id(), done1.id());
  }

  @Test
  void concurrentUpdatesOfManyOpsLoseNothing() throws Exception {
    int opCount = 10;
    int threads = 8;
    int updatesPerThread = 500;
    List<CreateOp> ops = new ArrayList<>();
    for (int i = 0; i < opCount; i++) {
      ops.add(startBlocked("vm" + i, "boot"));
    }
    OpWatch watch = registry.watch(ops.get(0).id(), 10_000);
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  Await.latch(go, "the start signal");
                  for (int i = 0; i < updatesPerThread; i++) {
                    CreateOp op = ops.get(i % opCount);
                    op.log("t" + thread + "-" + i);
                    op.progress(i % 101);
                  }
                  return null;
                }));
      }
      go.countDown();
      for (Future<?> f : done) {
        Await.result(f, "an updating thread to finish");
      }
    } finally {
      pool.shutdownNow();
    }
    long perOp = (long) threads * updatesPerThread / opCount;
    for (CreateOp op : ops) {
      OpSnapshot s = registry.get(op.id());
      assertThat(s.logCount()).isEqualTo(perOp);
      // one change for the "boot" stage, two per loop iteration
      assertThat(s.version()).isEqualTo(1 + 2 * perOp);
    }
    release.countDown();
    for (CreateOp op : ops) {
      assertThat(registry.awaitFinish(op.id(), WAIT).state()).isEqualTo(OpState.SUCCEEDED);
    }
    long expected = 1 + 2 * perOp;
    List<Long> versions = new ArrayList<>();
    Optional<OpSnapshot> next;
    while ((next = watch.next(Duration.ZERO)).isPresent()) {
      versions.add(next.get().version());
    }
    assertThat(watch.dropped()).isZero();
    // current snapshot at subscription, every later change, then the final one, gap-free
    assertThat(versions).isSorted().doesNotHaveDuplicates().endsWith(expected + 1);
    assertThat(versions.get(versions.size() - 1) - versions.get(0)).isEqualTo(versions.size() - 1);
  }
}
