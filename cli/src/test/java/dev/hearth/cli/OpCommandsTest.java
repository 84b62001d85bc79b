package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.FakeClock;
import dev.hearth.daemon.RpcException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The op commands against a scripted daemon. */
class OpCommandsTest {
  private final FakeDaemon daemon = new FakeDaemon();

  private CliRun.Result run(String... args) {
    Environment env =
        new Environment(Map.of(), false)
            .withClock(new FakeClock(Samples.NOW))
            .withInterrupts(new FakeInterrupts())
            .withConnector(daemon);
    return CliRun.run(env, args);
  }

  @Test
  void listIsATable() {
    daemon.on("op.list", "{\"ops\":[" + Samples.op("running", "boot", -1) + "]}");
    assertThat(run("op", "list").out().lines())
        .containsExactly(
            "ID                KIND       TARGET  STATE    STAGE  AGE",
            "0123456789abcdef  vm.create  demo    running  boot   10s");
    assertThat(FakeDaemon.json(run("op", "list", "--json").out()).get(0).path("id").asText())
        .isEqualTo(Samples.OP_ID);
  }

  @Test
  void showPrintsTheSnapshot() {
    daemon.on("op.show", Samples.failedOp("rootfs", "disk full"));
    CliRun.Result r = run("op", "show", "0123");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("Error:     at rootfs: disk full");
    assertThat(daemon.paramsOf("op.show").path("op").asText()).isEqualTo("0123");
  }

  @Test
  void watchFollowsTheFullIdAndExitsZeroWhenItSucceeds() {
    daemon
        .on("op.show", Samples.op("running", "rootfs", -1))
        .onStreaming(
            "op.watch",
            Samples.op("succeeded", "ready", -1),
            "op.progress",
            Samples.op("running", "boot", -1));
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
    assertThat(daemon.paramsOf("op.watch").path("op").asText()).isEqualTo(Samples.OP_ID);
  }

  @Test
  void watchExitsOneWhenTheOpFailed() {
    daemon
        .on("op.show", Samples.failedOp("boot", "no kvm"))
        .onStreaming("op.watch", Samples.failedOp("boot", "no kvm"));
    CliRun.Result r = run("op", "watch", Samples.OP_ID);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err().lines())
        .containsExactly(
            "hearth: vm.create demo failed at boot: no kvm (op " + Samples.OP_ID + ")");
  }

  @Test
  void watchJsonPrintsTheFinalSnapshot() {
    daemon
        .on("op.show", Samples.op("succeeded", "ready", -1))
        .onStreaming("op.watch", Samples.op("succeeded", "ready", -1));
    CliRun.Result r = run("op", "watch", Samples.OP_ID, "--json");
    assertThat(FakeDaemon.json(r.out()).path("state").asText()).isEqualTo("succeeded");
  }

  @Test
  void cancelConfirmsOnOneLine() {
    daemon.on("op.cancel", Samples.op("running", "boot", -1));
    assertThat(run("op", "cancel", Samples.OP_ID).out().lines())
        .containsExactly("cancelling 0123456789abcdef (vm.create demo, running)");
    assertThat(run("op", "cancel", Samples.OP_ID, "-q").out()).isEmpty();
  }

  @Test
  void anUnknownOpIsTheDaemonsNotFound() {
    daemon.on(
        "op.show",
        (params, listener) -> {
          throw new RpcException(-32004, "not_found", "no operation '9999'");
        });
    CliRun.Result r = run("op", "watch", "9999");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err().lines()).containsExactly("hearth: no operation '9999' (not_found)");
  }
}
