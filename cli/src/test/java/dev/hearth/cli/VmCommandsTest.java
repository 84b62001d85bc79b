package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.daemon.DaemonUnavailableException;
import dev.hearth.daemon.RpcException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The vm commands against a scripted daemon: arguments, requests, output, exit codes. */
class VmCommandsTest {
  private final FakeDaemon daemon = new FakeDaemon();
  private final FakeInterrupts interrupts = new FakeInterrupts();

  private Environment env(boolean terminal) {
    return new Environment(Map.of(), terminal)
        .withClock(new FakeClock(Samples.NOW))
        .withInterrupts(interrupts)
        .withConnector(daemon);
  }

  private CliRun.Result run(String... args) {
    return CliRun.run(env(false), args);
  }

  private FakeDaemon scriptCreate(String finalOp, String... progress) {
    String[] notifications = new String[progress.length * 2];
    for (int i = 0; i < progress.length; i++) {
      notifications[2 * i] = "op.progress";
      notifications[2 * i + 1] = progress[i];
    }
    return daemon
        .on("vm.create", Samples.created())
        .onStreaming("op.watch", finalOp, notifications)
        .on("vm.show", Samples.demoRunning());
  }

  @Test
  void createWithoutImageIsAUsageError() {
    CliRun.Result r = run("vm", "create", "demo");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("hearth: ").contains("--image");
    assertThat(daemon.requests()).isEmpty();
  }

  @Test
  void createWithABadDiskSizeIsAUsageErrorNamingIt() {
    CliRun.Result r = run("vm", "create", "demo", "--image", "base", "--disk-size", "ten gigs");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err().lines())
        .singleElement()
        .asString()
        .startsWith("hearth: --disk-size: 'ten gigs' is not a size");
    assertThat(daemon.requests()).isEmpty();
  }

  @Test
  void createChecksNameAndNumbersBeforeAskingTheDaemon() {
    assertThat(run("vm", "create", "Demo_1", "--image", "base").exitCode()).isEqualTo(2);
    assertThat(run("vm", "create", "demo", "--image", "base", "--vcpus", "0").err())
        .contains("--vcpus must be at least 1");
    assertThat(run("vm", "create", "demo", "--image", "base", "--memory", "lots").exitCode())
        .isEqualTo(2);
    assertThat(daemon.requests()).isEmpty();
  }

  @Test
  void createSendsTheContractsParams() {
    scriptCreate(Samples.op("succeeded", "ready", -1));
    CliRun.Result r =
        run(
            "vm",
            "create",
            "demo",
            "--image",
            "base",
            "--vcpus",
            "4",
            "--memory",
            "2048",
            "--disk-size",
            "10G");
    assertThat(r.exitCode()).isZero();
    JsonNode params = daemon.paramsOf("vm.create");
    assertThat(params.path("name").asText()).isEqualTo("demo");
    assertThat(params.path("image").asText()).isEqualTo("base");
    assertThat(params.path("vcpus").asInt()).isEqualTo(4);
    assertThat(params.path("memory_mib").asInt()).isEqualTo(2048);
    assertThat(params.path("disk_size").asLong()).isEqualTo(10L << 30);
    assertThat(params.has("no_start")).isFalse();
    assertThat(daemon.paramsOf("op.watch").path("op").asText()).isEqualTo(Samples.OP_ID);
    assertThat(daemon.paramsOf("vm.show").path("vm").asText()).isEqualTo(Samples.VM_ID);
    assertThat(daemon.allClosed()).isTrue();
    assertThat(interrupts.anyRegistered()).isFalse();
  }

  @Test
  void createFollowsTheStagesInPlainLinesAndSaysHowToReachTheVm() {
    scriptCreate(
        Samples.op("succeeded", "ready", -1),
        Samples.op("running", "rootfs", -1),
        Samples.op("running", "identity", -1),
        Samples.op("running", "boot", -1),
        Samples.op("running", "wait-ssh", -1));
    CliRun.Result r = run("vm", "create", "demo", "--image", "base");

    assertThat(r.err()).isEmpty();
    assertThat(r.exitCode()).isZero();
    assertThat(r.out().lines())
        .startsWith(
            "[stage] reserve",
            "[stage] rootfs",
            "[stage] identity",
            "[stage] boot",
            "[stage] wait-ssh",
            "done in 3.2s",
            "demo is running at 10.77.0.2")
        .anyMatch(line -> line.contains("hearth vm ssh demo"));
  }

  @Test
  void createOnATerminalDrawsTheStagesInPlace() {
    scriptCreate(Samples.op("succeeded", "ready", -1), Samples.op("running", "boot", -1));
    CliRun.Result r = CliRun.run(env(true), "vm", "create", "demo", "--image", "base");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("\u001b[6F");
    assertThat(Screen.render(r.out()))
        .startsWith(
            "  ✓ reserve",
            "  ✓ rootfs    0.0s",
            "  ✓ identity",
            "  ✓ boot      0.0s",
            "  ✓ wait-ssh",
            "  ✓ ready     0.0s",
            "done in 3.2s");
  }

  @Test
  void noColorMeansPlainLinesEvenOnATerminal() {
    scriptCreate(Samples.op("succeeded", "ready", -1));
    CliRun.Result r =
        CliRun.run(env(true), "vm", "create", "demo", "--image", "base", "--no-color");
    assertThat(r.out()).doesNotContain("\u001b").startsWith("[stage] reserve");
  }

  @Test
  void createFailureNamesTheStageAndReasonAndExitsOne() {
    scriptCreate(Samples.failedOp("boot", "firecracker exited with status 1"));
    CliRun.Result r = run("vm", "create", "demo", "--image", "base");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).contains("failed in 3.2s").doesNotContain("is running");
    assertThat(r.err().lines())
        .containsExactly(
            "hearth: vm.create demo failed at boot: firecracker exited with status 1 (op "
                + Samples.OP_ID
                + ")");
    assertThat(daemon.requests())
        .extracting(FakeDaemon.Request::method)
        .containsExactly("vm.create", "op.watch");
  }

  @Test
  void createDetachedPrintsTheOpIdOnly() {
    daemon.on("vm.create", Samples.created());
    CliRun.Result r = run("vm", "create", "demo", "--image", "base", "--detach");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).isEqualTo(Samples.OP_ID + System.lineSeparator());
    assertThat(daemon.requests()).hasSize(1);

    CliRun.Result json = run("vm", "create", "demo", "--image", "base", "-d", "--json");
    assertThat(FakeDaemon.json(json.out()).path("stage").asText()).isEqualTo("rootfs");
  }

  @Test
  void createJsonPrintsTheFinalVmAndNoProgress() {
    scriptCreate(Samples.op("succeeded", "ready", -1), Samples.op("running", "boot", -1));
    CliRun.Result r = run("vm", "create", "demo", "--image", "base", "--json");
    assertThat(r.out().lines()).hasSize(1);
    assertThat(FakeDaemon.json(r.out()).path("ip").asText()).isEqualTo("10.77.0.2");
  }

  @Test
  void createQuietPrintsTheNameOnly() {
    scriptCreate(Samples.op("succeeded", "ready", -1), Samples.op("running", "boot", -1));
    assertThat(run("vm", "create", "demo", "--image", "base", "-q").out())
        .isEqualTo("demo" + System.lineSeparator());
  }

  @Test
  void createNoStartSaysHowToStartIt() {
    daemon
        .on("vm.create", Samples.created())
        .onStreaming("op.watch", Samples.op("succeeded", "identity", -1))
        .on("vm.show", Samples.vm("demo", "stopped", "10.77.0.2", "2024-05-01T11:59:50Z"));
    CliRun.Result r = run("vm", "create", "demo", "--image", "base", "--no-start");

    assertThat(daemon.paramsOf("vm.create").path("no_start").asBoolean()).isTrue();
    assertThat(r.out()).contains("demo is stopped").contains("hearth vm start demo");
  }

  @Test
  void ctrlCWhileCreatingLeavesTheOpRunningAndSaysHowToGetBackToIt() {
    daemon
        .on("vm.create", Samples.created())
        .on(
            "op.watch",
            (params, listener) -> {
              listener.onNotification(
                  "op.progress", Samples.node(Samples.op("running", "boot", -1)));
              interrupts.interrupt();
              // The JVM would exit now; here the connection goes away under the watch.
              throw new DaemonUnavailableException(Path.of("/tmp/x.sock"), "closed", null);
            });
    CliRun.Result r = run("vm", "create", "demo", "--image", "base");

    assertThat(r.exitCode()).isEqualTo(130);
    assertThat(r.err().lines()).containsExactly(OpFollower.stillRunning(Samples.OP_ID));
    assertThat(r.err())
        .contains("hearth op watch " + Samples.OP_ID)
        .contains("hearth op cancel " + Samples.OP_ID);
    assertThat(daemon.requests())
        .extracting(FakeDaemon.Request::method)
        .doesNotContain("op.cancel");
  }

  @Test
  void listIsATableAndJsonIsTheArray() {
    daemon.on("vm.list", "{\"vms\":[" + Samples.demoRunning() + "]}");
    CliRun.Result r = run("vm", "list");
    assertThat(r.out().lines())
        .containsExactly(
            "NAME  STATE    IP         IMAGE  VCPUS  MEMORY  AGE",
            "demo  running  10.77.0.2  base   2      1 GiB   5m");

    CliRun.Result json = run("vm", "ls", "--json");
    JsonNode vms = FakeDaemon.json(json.out());
    assertThat(vms.isArray()).isTrue();
    assertThat(vms.get(0).path("name").asText()).isEqualTo("demo");
  }

  @Test
  void showPrintsDetailsOrTheObject() {
    daemon.on("vm.show", Samples.demoRunning());
    assertThat(run("vm", "show", "fedc").out()).contains("Name:         demo");
    assertThat(daemon.paramsOf("vm.show").path("vm").asText()).isEqualTo("fedc");
    assertThat(FakeDaemon.json(run("vm", "show", "demo", "--json").out()).path("id").asText())
        .isEqualTo(Samples.VM_ID);
  }

  @Test
  void lifecycleVerbsPrintOneLineOrNothingWhenQuiet() {
    String stopped = Samples.vm("demo", "stopped", "10.77.0.2", "2024-05-01T11:55:00Z");
    daemon
        .on("vm.start", Samples.demoRunning())
        .on("vm.stop", stopped)
        .on("vm.kill", stopped)
        .on("vm.delete", "{\"deleted\":\"" + Samples.VM_ID + "\"}");

    assertThat(run("vm", "start", "demo").out().lines())
        .containsExactly("demo is running at 10.77.0.2");
    assertThat(run("vm", "stop", "demo", "--timeout", "5").out().lines())
        .containsExactly("demo stopped");
    assertThat(run("vm", "kill", "demo").out().lines()).containsExactly("demo killed");
    assertThat(run("vm", "delete", "demo", "--force").out().lines())
        .containsExactly("deleted demo (" + Samples.VM_ID + ")");
    for (String verb : new String[] {"start", "stop", "kill", "delete"}) {
      CliRun.Result quiet = run("vm", verb, "demo", "--quiet");
      assertThat(quiet.exitCode()).isZero();
      assertThat(quiet.out()).as(verb).isEmpty();
    }
  }

  @Test
  void stopAndDeleteSendTheirOptions() {
    daemon
        .on("vm.stop", Samples.demoRunning())
        .on("vm.delete", "{\"deleted\":\"" + Samples.VM_ID + "\"}");
    run("vm", "stop", "demo", "--timeout", "7");
    run("vm", "delete", "demo");
    assertThat(daemon.paramsOf("vm.stop").path("timeout_seconds").asInt()).isEqualTo(7);
    assertThat(daemon.paramsOf("vm.delete").path("force").asBoolean()).isFalse();
    assertThat(run("vm", "stop", "demo", "--timeout", "-1").exitCode()).isEqualTo(2);
  }

  @Test
  void aDaemonErrorIsOneLineWithItsKind() {
    daemon.on(
        "vm.show",
        (params, listener) -> {
          throw new RpcException(-32004, "not_found", "no VM named 'x'");
        });
    CliRun.Result r = run("vm", "show", "x");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines()).containsExactly("hearth: no VM named 'x' (not_found)");
  }

  @Test
  void vmWithoutAVerbIsAUsageError() {
    CliRun.Result r = run("vm");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("Usage: hearth vm").contains("create").contains("logs");
  }

  @Test
  void logsWritesTheDecodedBytes() {
    daemon.on("vm.logs", "{\"data\":\"" + base64("boot ok\nlogin: ") + "\"}");
    CliRun.Result r = run("vm", "logs", "demo", "--tail", "2");
    assertThat(r.out()).isEqualTo("boot ok\nlogin: ");
    assertThat(daemon.paramsOf("vm.logs").path("tail").asInt()).isEqualTo(2);
    assertThat(daemon.paramsOf("vm.logs").has("follow")).isFalse();
  }

  @Test
  void logsFollowWritesEachChunkAndKeepsSplitCharactersWhole() {
    byte[] euro = "€\n".getBytes(StandardCharsets.UTF_8);
    daemon.onStreaming(
        "vm.logs",
        "{\"data\":\"\"}",
        "vm.logs.data",
        data("é ".getBytes(StandardCharsets.UTF_8)),
        "vm.logs.data",
        data(new byte[] {euro[0]}),
        "vm.logs.data",
        data(new byte[] {euro[1], euro[2], euro[3]}),
        "vm.logs.data",
        data(new byte[] {(byte) 0xff, 'x'}));
    CliRun.Result r = run("vm", "logs", "demo", "-f");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).isEqualTo("é €\n\uFFFDx");
    assertThat(daemon.paramsOf("vm.logs").path("follow").asBoolean()).isTrue();
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String data(byte[] bytes) {
    return "{\"data\":\"" + Base64.getEncoder().encodeToString(bytes) + "\"}";
  }
}
