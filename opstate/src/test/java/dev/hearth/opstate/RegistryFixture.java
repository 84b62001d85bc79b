package dev.hearth.opstate;

import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;

/** The registry, its fake clock and blocked work that every registry test class starts from. */
abstract class RegistryFixture {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final Duration RETENTION = Duration.ofHours(1);

  final FakeClock clock = new FakeClock(Instant.parse("2026-03-01T10:00:00Z"));
  final Registry<CreateOp> registry = new Registry<>(clock, RETENTION, Set.of(CreateOp.KIND));

  /** Counted down at the end of each test so that no blocked work outlives it. */
  final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void releaseWork() {
    release.countDown();
  }

  /** Starts an op whose work enters {@code stage} and blocks until {@link #release}. */
  CreateOp startBlocked(String vmName, String stage) throws InterruptedException {
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
}
