package dev.hearth.opstate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.Await;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Cancelling operations: interrupts, cancel hooks and the registry's close. */
class RegistryCancelTest extends RegistryFixture {
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
}
