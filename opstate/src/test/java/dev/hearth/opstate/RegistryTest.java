package dev.hearth.opstate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeClock;
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
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RegistryTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration RETENTION = Duration.ofHours(1);

  private final FakeClock clock = new FakeClock(Instant.parse("2026-03-01T10:00:00Z"));
  private final Registry<CreateOp> registry =
      new Registry<>(clock, RETENTION, Set.of(CreateOp.KIND));

  /** Counted down at the end of each test so that no blocked work outlives it. */
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void releaseWork() {
    release.countDown();
  }

  /** Starts an op whose work enters {@code stage} and blocks until {@link #release}. */
  private CreateOp startBlocked(String vmName, String stage) throws InterruptedException {
    CreateOp op = new CreateOp(vmName, 2);
    CountDownLatch entered = new CountDownLatch(1);
    registry.start(
        op,
        o -> {
          o.stage(stage);
          entered.countDown();
          Await.latch(release, "the test to release the work");
          return "done";
        });
    Await.latch(entered, "op " + op.id() + " to enter stage " + stage);
    return op;
  }

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
  void cancelInterruptsAWorkerBlockedInSleepAndEndsCancelledAtItsStage() throws Exception {
    CreateOp op = new CreateOp("demo", 1);
    CountDownLatch sleeping = new CountDownLatch(1);
    registry.start(
        op,
        o -> {
          o.stage("wait-ssh");
          sleeping.countDown();
          Thread.sleep(WAIT.toMillis());
          throw new AssertionError("the cancel did not interrupt the sleep within " + WAIT);
        });
    Await.latch(sleeping, "the op's work to sleep");

    OpSnapshot requested = registry.cancel(op.id().substring(0, 8));
    assertThat(requested.cancelRequested()).isTrue();
    OpSnapshot last = registry.awaitFinish(op.id(), WAIT);
    assertThat(last.state()).isEqualTo(OpState.CANCELLED);
    assertThat(last.stage()).isEqualTo("wait-ssh");
    assertThat(last.result()).isEmpty();
    assertThat(last.error()).isEmpty();

    assertThatThrownBy(() -> registry.cancel(op.id()))
        .isInstanceOf(OpAlreadyFinishedException.class)
        .hasMessageContaining("cancelled");
  }

  @Test
  void cancelOfAnOpRunOnTheCallersThreadConsumesItsOwnInterrupt() throws Exception {
    CreateOp op = new CreateOp("demo", 1);
    CountDownLatch sleeping = new CountDownLatch(1);
    Thread canceller =
        new Thread(
            () -> {
              try {
                Await.latch(sleeping, "the op's work to sleep");
                registry.cancel(op.id());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    canceller.start();
    OpSnapshot last =
        registry.run(
            op,
            o -> {
              o.stage("boot");
              sleeping.countDown();
              Thread.sleep(WAIT.toMillis());
              throw new AssertionError("the cancel did not interrupt the sleep within " + WAIT);
            });
    Await.join(canceller, "the canceller");
    assertThat(last.state()).isEqualTo(OpState.CANCELLED);
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  @Test
  void cancelRunsHooksForBlockingThatInterruptsDoNotReach() throws Exception {
    CreateOp op = new CreateOp("demo", 1);
    CountDownLatch hookRan = new CountDownLatch(1);
    CountDownLatch waiting = new CountDownLatch(1);
    AtomicBoolean interruptSeen = new AtomicBoolean();
    registry.start(
        op,
        o -> {
          o.stage("boot");
          o.onCancel(hookRan::countDown);
          waiting.countDown();
          while (true) {
            try {
              Await.latch(hookRan, "the cancel hook to run");
              break;
            } catch (InterruptedException e) {
              // Stands for a wait that ignores interrupts, like a child process.
              interruptSeen.set(true);
            }
          }
          o.checkCancelled();
          return "not cancelled";
        });
    Await.latch(waiting, "the op's work to wait");
    registry.cancel(op.id());
    OpSnapshot last = registry.awaitFinish(op.id(), WAIT);
    assertThat(last.state()).isEqualTo(OpState.CANCELLED);
    assertThat(interruptSeen).isTrue();
  }

  @Test
  void hookAddedAfterCancelRunsAtOnceWhileTheOpRuns() throws Exception {
    CreateOp op = new CreateOp("demo", 1);
    CountDownLatch waiting = new CountDownLatch(1);
    registry.start(
        op,
        o -> {
          waiting.countDown();
          // Keeps running through cancel's interrupt, so the op has not ended when the hook comes.
          while (true) {
            try {
              Await.latch(release, "the test to release the work");
              break;
            } catch (InterruptedException e) {
              // wait on: this work ignores interrupts
            }
          }
          o.checkCancelled();
          return null;
        });
    Await.latch(waiting, "the op's work to wait");
    registry.cancel(op.id());
    AtomicBoolean ran = new AtomicBoolean();
    op.onCancel(() -> ran.set(true));
    assertThat(ran).isTrue();
    release.countDown();
    assertThat(registry.awaitFinish(op.id(), WAIT).state()).isEqualTo(OpState.CANCELLED);
  }

  @Test
  void closeCancelsRunningOpsAndRefusesNewOnes() throws Exception {
    CreateOp op = startBlocked("demo", "boot");
    registry.close();
    assertThat(registry.awaitFinish(op.id(), WAIT).state()).isEqualTo(OpState.CANCELLED);
    assertThatThrownBy(() -> registry.run(new CreateOp("other", 1), o -> null))
        .isInstanceOf(RegistryClosedException.class)
        .hasMessageContaining("other");
  }

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
