package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Command;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.core.testing.FakeRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The gate's bookkeeping, with the nft scripts it sends recorded by a fake runner. */
class PolicyEgressGateTest {
  private static final Ipv4 GUEST = Ipv4.parse("10.232.0.2");
  private static final Ipv4 ALLOWED = Ipv4.parse("203.0.113.130");

  private final FakeRunner runner = new FakeRunner();
  private final FakeClock clock = new FakeClock();
  private final HostNetworkEnvironment environment =
      new HostNetworkEnvironment() {
        @Override
        public Optional<Path> findProgram(String name) {
          return Optional.of(Path.of("/usr/sbin", name));
        }

        @Override
        public void writeSysctl(String key, String value) {
          throw new AssertionError("no sysctl expected");
        }
      };
  private final PolicyEgressGate gate =
      new PolicyEgressGate(new EgressRules(runner, environment, "hearth", "hearth0"), clock);

  @Test
  void anUnknownGuestResolvesEverythingAndIsNotRecorded() throws Exception {
    assertThat(gate.mayResolve(GUEST, "anything.example")).isTrue();
    gate.resolved(GUEST, "anything.example", List.of(ALLOWED), Duration.ofSeconds(60));
    assertThat(runner.commands()).isEmpty();
    assertThat(gate.policy(GUEST)).isEmpty();
  }

  @Test
  void refusalsAreCountedAndTheLastOnesKept() throws Exception {
    gate.apply("demo", GUEST, EgressPolicy.parse("allow:allowed.test"));
    assertThat(gate.mayResolve(GUEST, "allowed.test")).isTrue();
    for (int i = 0; i < PolicyEgressGate.REFUSALS_KEPT + 5; i++) {
      clock.advance(Duration.ofSeconds(1));
      assertThat(gate.mayResolve(GUEST, "n" + i + ".test")).isFalse();
    }
    PolicyEgressGate.Status status = gate.status(GUEST);
    assertThat(status.policy()).hasToString("allow:allowed.test");
    assertThat(status.refusedNames()).isEqualTo(PolicyEgressGate.REFUSALS_KEPT + 5);
    assertThat(status.lastRefused()).hasSize(PolicyEgressGate.REFUSALS_KEPT);
    assertThat(status.lastRefused().get(0).name())
        .isEqualTo("n" + (PolicyEgressGate.REFUSALS_KEPT + 4) + ".test");
    assertThat(status.lastRefused().get(0).at()).isEqualTo(clock.now());
  }

  @Test
  void allowedAnswersGoIntoTheSetWithAClampedTtl() throws Exception {
    gate.apply("demo", GUEST, EgressPolicy.parse("allow:allowed.test,*.wild.test"));
    gate.resolved(GUEST, "allowed.test", List.of(ALLOWED), Duration.ofSeconds(5));
    assertThat(lastScript())
        .as("30 s and half as much again")
        .contains("allow_10_232_0_2 { 203.0.113.130 timeout 45s }");
    gate.resolved(GUEST, "x.wild.test", List.of(Ipv4.parse("203.0.113.140")), Duration.ofDays(9));
    assertThat(lastScript()).contains("203.0.113.140 timeout 129600s");
    int before = runner.commands().size();
    gate.resolved(GUEST, "other.test", List.of(Ipv4.parse("203.0.113.150")), Duration.ofHours(1));
    assertThat(runner.commands()).as("a name the list does not allow").hasSize(before);
    gate.resolved(
        GUEST, "x.wild.test", List.of(Ipv4.parse("203.0.113.140")), Duration.ofMinutes(1));
    assertThat(runner.commands()).as("a shorter TTL does not shorten a longer one").hasSize(before);
  }

  /**
   * A guest asking for an allowed name in a loop (a short TTL, clamped to 30 s): one nft run, not
   * one per answer, until half the TTL is gone; the grant still covers each answer's whole TTL.
   */
  @Test
  void anAllowedNameAskedInALoopCostsOneNftRunPerHalfTtl() throws Exception {
    gate.apply("demo", GUEST, EgressPolicy.parse("allow:loop.test"));
    int before = runner.commands().size();

    for (int i = 0; i < 100; i++) {
      gate.resolved(GUEST, "loop.test", List.of(ALLOWED), Duration.ofSeconds(1));
      clock.advance(Duration.ofMillis(10));
    }

    assertThat(runner.commands().size() - before)
        .as("nft runs for 100 answers within one second")
        .isEqualTo(1);
    assertThat(lastScript()).contains("203.0.113.130 timeout 45s");
    clock.advance(Duration.ofSeconds(13));
    gate.resolved(GUEST, "loop.test", List.of(ALLOWED), Duration.ofSeconds(1));
    assertThat(runner.commands().size() - before)
        .as("at 14 s, 31 s of the grant are left: more than the 30 s answer needs")
        .isEqualTo(1);
    clock.advance(Duration.ofSeconds(2));
    gate.resolved(GUEST, "loop.test", List.of(ALLOWED), Duration.ofSeconds(1));
    assertThat(runner.commands().size() - before)
        .as("at 16 s, 29 s are left: refreshed")
        .isEqualTo(2);
  }

  @Test
  void aNewPolicyKeepsTheAddressesOfNamesItStillAllows() throws Exception {
    gate.apply("demo", GUEST, EgressPolicy.parse("allow:a.test,b.test"));
    gate.resolved(GUEST, "a.test", List.of(ALLOWED), Duration.ofSeconds(100));
    gate.resolved(GUEST, "b.test", List.of(Ipv4.parse("203.0.113.131")), Duration.ofSeconds(100));
    clock.advance(Duration.ofSeconds(40));
    gate.apply("demo", GUEST, EgressPolicy.parse("allow:a.test"));
    assertThat(lastScript())
        .contains("flush chain ip hearth_egress vm_10_232_0_2")
        .contains("add element ip hearth_egress allow_10_232_0_2 { 203.0.113.130 timeout 110s }")
        .doesNotContain("203.0.113.131")
        .contains("reject with tcp reset")
        .contains("vms { 10.232.0.2 : jump vm_10_232_0_2 }");

    clock.advance(Duration.ofSeconds(111));
    gate.apply("demo", GUEST, EgressPolicy.parse("allow:a.test,b.test"));
    assertThat(lastScript()).as("expired").doesNotContain("203.0.113.130 timeout");
  }

  @Test
  void noneAndOpenAndForget() throws Exception {
    gate.apply("demo", GUEST, EgressPolicy.NONE);
    assertThat(lastScript())
        .doesNotContain("@allow_")
        .contains("counter name \"denials_10_232_0_2\"")
        .contains("reject with icmp type admin-prohibited");
    assertThat(gate.mayResolve(GUEST, "any.test")).isFalse();

    gate.apply("demo", GUEST, EgressPolicy.OPEN);
    assertThat(lastScript())
        .contains("delete element ip hearth_egress vms { 10.232.0.2 }")
        .contains("delete chain ip hearth_egress vm_10_232_0_2");
    assertThat(gate.mayResolve(GUEST, "any.test")).isTrue();

    gate.forget(GUEST);
    assertThat(gate.policy(GUEST)).isEmpty();
    assertThat(lastScript()).contains("delete set ip hearth_egress denied_10_232_0_2");
  }

  private String lastScript() {
    List<Command> commands = runner.commands();
    for (int i = commands.size() - 1; i >= 0; i--) {
      if (commands.get(i).stdin().isPresent()) {
        return new String(commands.get(i).stdin().get(), java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    throw new AssertionError("no nft script sent");
  }
}
