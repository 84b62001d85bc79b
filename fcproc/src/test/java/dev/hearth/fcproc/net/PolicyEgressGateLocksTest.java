package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.core.testing.FakeRunner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gate's locking with an nft run held in flight: one guest's run holds up no other guest's
 * answer, and a policy change waits for the run, so that it is not undone by an address added after
 * it.
 */
class PolicyEgressGateLocksTest {
  private static final Ipv4 A = Ipv4.parse("10.232.0.2");
  private static final Ipv4 B = Ipv4.parse("10.232.0.3");
  private static final Ipv4 A_ADDRESS = Ipv4.parse("203.0.113.130");
  private static final Ipv4 B_ADDRESS = Ipv4.parse("203.0.113.131");
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration HELD_AT_MOST = WAIT.multipliedBy(3);

  /** The nft script that lets guest A reach an address. */
  private static final String A_ALLOW = "delete element ip hearth_egress allow_10_232_0_2 ";

  private final HeldRunner runner = new HeldRunner(A_ALLOW);
  private final PolicyEgressGate gate =
      new PolicyEgressGate(
          new EgressRules(runner, new NftOnPath(), "hearth", "hearth0"), new FakeClock());
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    runner.release.countDown();
    pool.shutdownNow();
  }

  @Test
  void anAllowInFlightForOneGuestHoldsUpNoOtherGuestsAnswer() throws Exception {
    gate.apply("a", A, EgressPolicy.parse("allow:a.test"));
    gate.apply("b", B, EgressPolicy.parse("allow:b.test"));
    Future<?> allowA =
        pool.submit(() -> gate.resolved(A, "a.test", List.of(A_ADDRESS), Duration.ofMinutes(1)));
    assertThat(runner.inside.await(WAIT.toSeconds(), TimeUnit.SECONDS))
        .as("guest A's nft run started")
        .isTrue();

    Future<Boolean> others =
        pool.submit(
            () -> {
              gate.resolved(B, "b.test", List.of(B_ADDRESS), Duration.ofMinutes(1));
              return gate.mayResolve(A, "a.test");
            });

    try {
      assertThat(others.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    } catch (TimeoutException e) {
      throw new AssertionError(
          "guest B's answer and guest A's next question waited for guest A's nft run", e);
    }
    assertThat(lastScript()).contains("allow_10_232_0_3 { 203.0.113.131 timeout 90s }");
    assertThat(allowA).as("guest A's answer, its nft run held").isNotDone();
    runner.release.countDown();
    allowA.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(lastScript()).contains("allow_10_232_0_2 { 203.0.113.130 timeout 90s }");
  }

  @Test
  void aPolicyChangeWaitsForAnAllowInFlightSoItsFlushComesLast() throws Exception {
    gate.apply("a", A, EgressPolicy.parse("allow:a.test"));
    Future<?> allowA =
        pool.submit(() -> gate.resolved(A, "a.test", List.of(A_ADDRESS), Duration.ofMinutes(1)));
    assertThat(runner.inside.await(WAIT.toSeconds(), TimeUnit.SECONDS))
        .as("guest A's nft run started")
        .isTrue();

    FutureTask<Void> none =
        new FutureTask<>(
            () -> {
              gate.apply("a", A, EgressPolicy.NONE);
              return null;
            });
    Thread change = new Thread(none, "policy-change");
    change.start();
    awaitWaiting(change);
    runner.release.countDown();
    allowA.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    none.get(WAIT.toSeconds(), TimeUnit.SECONDS);

    List<String> scripts = runner.scripts();
    int allowed = indexOf(scripts, A_ALLOW);
    int replaced = indexOf(scripts, "reject with icmp type admin-prohibited");
    assertThat(scripts.get(replaced)).doesNotContain("@allow_10_232_0_2");
    assertThat(allowed)
        .as("the allow's nft run came before the policy change's, which flushed it")
        .isLessThan(replaced);
    assertThat(gate.policy(A)).contains(EgressPolicy.NONE);
  }

  /** Waits until {@code thread} waits for a lock (or has ended, which the caller then sees). */
  private static void awaitWaiting(Thread thread) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Thread.State state = thread.getState();
      if (state == Thread.State.WAITING
          || state == Thread.State.BLOCKED
          || state == Thread.State.TERMINATED) {
        return;
      }
      Thread.sleep(1);
    }
    throw new AssertionError(
        thread.getName() + " neither waited for a lock nor ended within " + WAIT);
  }

  private static int indexOf(List<String> scripts, String part) {
    for (int i = scripts.size() - 1; i >= 0; i--) {
      if (scripts.get(i).contains(part)) {
        return i;
      }
    }
    throw new AssertionError("no nft script with '" + part + "' in " + scripts);
  }

  private String lastScript() {
    List<String> scripts = runner.scripts();
    assertThat(scripts).as("nft scripts sent").isNotEmpty();
    return scripts.get(scripts.size() - 1);
  }

  /**
   * Records like a {@link FakeRunner}, once a command is done, but holds the one whose nft script
   * contains {@code held} until {@link #release}, as a slow nft would.
   */
  private static final class HeldRunner implements Runner {
    final CountDownLatch inside = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final FakeRunner recorder = new FakeRunner();
    private final String held;

    HeldRunner(String held) {
      this.held = held;
    }

    @Override
    public CommandResult run(Command command) throws InterruptedException {
      if (script(command).contains(held)) {
        inside.countDown();
        // Longer than any wait of a test, so that a test's own wait fails first and says why.
        if (!release.await(HELD_AT_MOST.toSeconds(), TimeUnit.SECONDS)) {
          throw new AssertionError("the held nft run was not released within " + HELD_AT_MOST);
        }
      }
      return recorder.run(command);
    }

    /** The nft scripts run so far, in the order they ended. */
    List<String> scripts() {
      return recorder.commands().stream()
          .map(HeldRunner::script)
          .filter(s -> !s.isEmpty())
          .toList();
    }

    private static String script(Command command) {
      return command.stdin().map(b -> new String(b, StandardCharsets.UTF_8)).orElse("");
    }
  }

  /** nft is found; nothing else is asked of the host. */
  private static final class NftOnPath implements HostNetworkEnvironment {
    @Override
    public Optional<Path> findProgram(String name) {
      return Optional.of(Path.of("/usr/sbin", name));
    }

    @Override
    public void writeSysctl(String key, String value) {
      throw new AssertionError("no sysctl expected");
    }
  }
}
