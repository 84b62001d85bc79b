package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.FakeClock;
import dev.hearth.daemon.HearthException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The op commands against a fake hearth. */
class OpCommandsTest {
  private final FakeHearth hearth = new FakeHearth();

  private CliRun.Result run(String... args) {
    Environment env =
        new Environment(Map.of(), false)
            .withClock(new FakeClock(Samples.NOW))
            .withInterrupts(new FakeInterrupts())
            .withHearths(hearth);
    return CliRun.run(env, args);
  }

  @Test
  void listIsATable() {
    hearth.opList = () -> List.of(Samples.opOf("running", "boot", -1));
    assertThat(run("op", "list").out().lines())
        .containsExactly(
            "ID                KIND       TARGET  STATE    STAGE  AGE",
            "0123456789abcdef  vm.create  demo    running  boot   10s");
    assertThat(Samples.node(run("op", "list", "--json").out()).get(0).path("id").asText())
        .isEqualTo(Samples.OP_ID);
  }

  @Test
  void showPrintsTheSnapshot() {
    hearth.opShow = id -> Samples.failedOpOf("rootfs", "disk full");
    CliRun.Result r = run("op", "show", "0123");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("Error:     at rootfs: disk full");
    assertThat(hearth.callOf("op.show").arg(0)).isEqualTo("0123");
  }

  @Test
  void watchFollowsTheFullIdAndExitsZeroWhenItSucceeds() {
    hearth.opShow = id -> Samples.opOf("running", "rootfs", -1);
    hearth.opWatch =
        (id, progress) -> {
          progress.accept(Samples.opOf("running", "boot", -1));
          return Samples.opOf("succeeded", "ready", -1);
        };
    CliRun.Result r = run("op", "watch", "0123");
    assertThat(r.exitCode()).isZero();
    // Stages that went by between two snapshots (reserve, identity) are printed too.
    assertThat(r.out().lines())
        .containsExactly(
            "[stage] reserve",
            "[stage] rootfs",
            "[stage] identity",
            "[stage] boot",
            "done in 3.2s");
    assertThat(hearth.callOf("op.watch").arg(0)).isEqualTo(Samples.OP_ID);
    assertThat(hearth.allClosed()).isTrue();
  }

  @Test
  void watchExitsOneWhenTheOpFailed() {
    hearth.opShow = id -> Samples.failedOpOf("boot", "no kvm");
    hearth.opWatch = (id, progress) -> Samples.failedOpOf("boot", "no kvm");
    CliRun.Result r = run("op", "watch", Samples.OP_ID);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err().lines())
        .containsExactly(
            "hearth: vm.create demo failed at boot: no kvm (op " + Samples.OP_ID + ")");
  }

  @Test
  void watchJsonPrintsTheFinalSnapshot() {
    hearth.opShow = id -> Samples.opOf("succeeded", "ready", -1);
    hearth.opWatch = (id, progress) -> Samples.opOf("succeeded", "ready", -1);
    CliRun.Result r = run("op", "watch", Samples.OP_ID, "--json");
    assertThat(Samples.node(r.out()).path("state").asText()).isEqualTo("succeeded");
  }

  @Test
  void cancelConfirmsOnOneLine() {
    hearth.opCancel = id -> Samples.opOf("running", "boot", -1);
    assertThat(run("op", "cancel", Samples.OP_ID).out().lines())
        .containsExactly("cancelling 0123456789abcdef (vm.create demo, running)");
    assertThat(run("op", "cancel", Samples.OP_ID, "-q").out()).isEmpty();
  }

  @Test
  void anUnknownOpIsTheDaemonsNotFound() {
    hearth.opShow =
        id -> {
          throw HearthException.notFound("no operation '9999'");
        };
    CliRun.Result r = run("op", "watch", "9999");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err().lines()).containsExactly("hearth: no operation '9999' (not_found)");
  }
}
