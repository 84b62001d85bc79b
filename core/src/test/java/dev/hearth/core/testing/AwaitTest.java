package dev.hearth.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {
  private static final Duration BRIEF = Duration.ofMillis(200);

  @Test
  void untilReturnsOnceTheConditionHolds() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Await.until("the third call", () -> calls.incrementAndGet() == 3);
    assertThat(calls).hasValue(3);
    assertThat(Await.value("a value", () -> Optional.of("v"))).isEqualTo("v");
  }

  @Test
  void everyWaitFailsAtItsDeadlineNamingWhatItWaitedFor() {
    assertThatThrownBy(() -> Await.until(BRIEF, "the moon to turn blue", () -> false))
        .isInstanceOf(AssertionError.class)
        .hasMessage("timed out after 200 ms waiting for the moon to turn blue");
    assertThatThrownBy(() -> Await.latch(new CountDownLatch(1), BRIEF, "the latch"))
        .hasMessage("timed out after 200 ms waiting for the latch");
    CompletableFuture<String> never = new CompletableFuture<>();
    assertThatThrownBy(() -> Await.result(never, BRIEF, "the result"))
        .hasMessage("timed out after 200 ms waiting for the result");
    assertThat(never).isCancelled();
    assertThatThrownBy(() -> Await.take(new LinkedBlockingQueue<>(), BRIEF, "an element"))
        .hasMessage("timed out after 200 ms waiting for an element");
  }

  @Test
  void aFailedFutureThrowsItsCause() {
    assertThatThrownBy(
            () ->
                Await.result(
                    CompletableFuture.failedFuture(new IllegalStateException("boom")), "it"))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  void aBlockingCallGivesItsResultOrItsExceptionOrFailsAtTheDeadline() throws Exception {
    assertThat(Await.call("a quick call", () -> "done")).isEqualTo("done");
    assertThatThrownBy(
            () ->
                Await.call(
                    "a failing call",
                    () -> {
                      throw new java.io.IOException("no such file");
                    }))
        .isInstanceOf(java.io.IOException.class)
        .hasMessage("no such file");
    CountDownLatch interrupted = new CountDownLatch(1);
    assertThatThrownBy(
            () ->
                Await.call(
                    BRIEF,
                    "a call that blocks",
                    () -> {
                      try {
                        return new CountDownLatch(1).await(1, java.util.concurrent.TimeUnit.HOURS);
                      } catch (InterruptedException e) {
                        interrupted.countDown();
                        throw e;
                      }
                    }))
        .hasMessage("timed out after 200 ms waiting for a call that blocks");
    Await.latch(interrupted, "the blocked call to be interrupted");
  }

  @Test
  void aThreadThatDoesNotEndIsInterruptedAndTheWaitFails() throws Exception {
    CountDownLatch interrupted = new CountDownLatch(1);
    Thread sleeper =
        new Thread(
            () -> {
              try {
                new CountDownLatch(1).await();
              } catch (InterruptedException e) {
                interrupted.countDown();
              }
            },
            "sleeper");
    sleeper.start();
    assertThatThrownBy(() -> Await.join(sleeper, BRIEF, "the sleeper"))
        .hasMessage("timed out after 200 ms waiting for the sleeper (thread sleeper) to end");
    Await.latch(interrupted, "the sleeper to be interrupted");
  }

  @Test
  @RequiresBinary({"sh", "sleep"})
  void processOutputIsReadToTheEnd() throws Exception {
    Process p = new ProcessBuilder("sh", "-c", "echo out; echo err >&2; exit 3").start();
    p.getOutputStream().close();
    Await.Output o = Await.output(p, Await.DEFAULT, "sh");
    assertThat(o.exitCode()).isEqualTo(3);
    assertThat(o.stdout()).isEqualTo("out\n");
    assertThat(o.stderr()).isEqualTo("err\n");
  }

  @Test
  @RequiresBinary({"sh", "sleep"})
  void aProcessStillRunningAtTheDeadlineIsKilledWithWhatItWrote() throws Exception {
    Process p = new ProcessBuilder("sh", "-c", "echo started; sleep 300 & wait").start();
    assertThatThrownBy(() -> Await.output(p, Duration.ofSeconds(1), "the sleeper"))
        .hasMessageStartingWith("timed out after 1 s waiting for the sleeper (pid " + p.pid())
        .hasMessageContaining("stdout so far: '");
    assertThat(Await.exit(p, Await.DEFAULT, "the killed sleeper")).isEqualTo(137);
    Process q = new ProcessBuilder("sleep", "300").start();
    assertThatThrownBy(() -> Await.exit(q, BRIEF, "sleep"))
        .hasMessage("timed out after 200 ms waiting for sleep (pid " + q.pid() + ") to exit");
    assertThat(Await.exit(q, Await.DEFAULT, "the killed sleep")).isEqualTo(137);
  }
}
