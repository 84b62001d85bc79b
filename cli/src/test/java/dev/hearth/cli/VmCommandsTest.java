package dev.hearth.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.daemon.DaemonUnavailableException;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.Op;
import dev.hearth.daemon.Vm;
import dev.hearth.daemon.VmEgress;
import dev.hearth.daemon.VmSpec;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The vm commands against a fake hearth: arguments, requests, output, exit codes. */
class VmCommandsTest {
  private final FakeHearth hearth = new FakeHearth();
  private final FakeInterrupts interrupts = new FakeInterrupts();

  private Environment env(boolean terminal) {
    return new Environment(Map.of(), terminal)
        .withClock(new FakeClock(Samples.NOW))
        .withInterrupts(interrupts)
        .withHearths(hearth);
  }

  private CliRun.Result run(String... args) {
    return CliRun.run(env(false), args);
  }

  private void scriptCreate(Op finalOp, Op... progress) {
    hearth.create =
        spec -> hearth.creation(Samples.creatingVm(), Samples.opOf("running", "rootfs", -1));
    hearth.opWatch =
        (id, listener) -> {
          for (Op p : progress) {
            listener.accept(p);
          }
          return finalOp;
        };
    hearth.vmShow = vm -> Samples.details(Samples.demoRunningVm());
  }

  @Test
  void createWithoutImageIsAUsageError() {
    CliRun.Result r = run("vm", "create", "demo");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("hearth: ").contains("--image");
    assertThat(hearth.calls()).isEmpty();
  }

  @Test
  void createWithABadDiskSizeIsAUsageErrorNamingIt() {
    CliRun.Result r = run("vm", "create", "demo", "--image", "base", "--disk-size", "ten gigs");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err().lines())
        .singleElement()
        .asString()
        .startsWith("hearth: --disk-size: 'ten gigs' is not a size");
    assertThat(hearth.calls()).isEmpty();
  }

  @Test
  void createChecksNameAndNumbersBeforeAskingTheDaemon() {
    assertThat(run("vm", "create", "Demo_1", "--image", "base").exitCode()).isEqualTo(2);
    assertThat(run("vm", "create", "demo", "--image", "base", "--vcpus", "0").err())
        .contains("--vcpus must be at least 1");
    assertThat(run("vm", "create", "demo", "--image", "base", "--memory", "lots").exitCode())
        .isEqualTo(2);
    assertThat(hearth.calls()).isEmpty();
  }

  @Test
  void createSendsTheSpec() {
    scriptCreate(Samples.opOf("succeeded", "ready", -1));
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
    VmSpec spec = (VmSpec) hearth.callOf("vm.create").arg(0);
    assertThat(spec.name()).isEqualTo("demo");
    assertThat(spec.image()).isEqualTo("base");
    assertThat(spec.vcpus()).hasValue(4);
    assertThat(spec.memoryMib()).hasValue(2048);
    assertThat(spec.diskSizeBytes()).hasValue(10L << 30);
    assertThat(spec.noStart()).isFalse();
    assertThat(hearth.callOf("op.watch").arg(0)).isEqualTo(Samples.OP_ID);
    assertThat(hearth.callOf("vm.show").arg(0)).isEqualTo(Samples.VM_ID);
    assertThat(hearth.allClosed()).isTrue();
    assertThat(interrupts.anyRegistered()).isFalse();
  }

  @Test
  void aSpecTheDaemonWouldRefuseIsRefusedAsTheDaemonDoes() {
    CliRun.Result r = run("vm", "create", "demo", "--image", "base", "--vcpus", "33");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err().lines())
        .containsExactly("hearth: param 'vcpus' of vm.create must be 1 to 32; got 33 (-32602)");
    assertThat(hearth.calls()).isEmpty();
  }

  @Test
  void createFollowsTheStagesInPlainLinesAndSaysHowToReachTheVm() {
    scriptCreate(
        Samples.opOf("succeeded", "ready", -1),
        Samples.opOf("running", "rootfs", -1),
        Samples.opOf("running", "identity", -1),
        Samples.opOf("running", "boot", -1),
        Samples.opOf("running", "wait-ssh", -1));
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
    scriptCreate(Samples.opOf("succeeded", "ready", -1), Samples.opOf("running", "boot", -1));
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
    scriptCreate(Samples.opOf("succeeded", "ready", -1));
    CliRun.Result r =
        CliRun.run(env(true), "vm", "create", "demo", "--image", "base", "--no-color");
    assertThat(r.out()).doesNotContain("\u001b").startsWith("[stage] reserve");
  }

  @Test
  void createFailureNamesTheStageAndReasonAndExitsOne() {
    scriptCreate(Samples.failedOpOf("boot", "firecracker exited with status 1"));
    CliRun.Result r = run("vm", "create", "demo", "--image", "base");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).contains("failed in 3.2s").doesNotContain("is running");
    assertThat(r.err().lines())
        .containsExactly(
            "hearth: vm.create demo failed at boot: firecracker exited with status 1 (op "
                + Samples.OP_ID
                + ")");
    assertThat(hearth.methods()).containsExactly("vm.create", "op.watch");
  }

  @Test
  void createDetachedPrintsTheOpIdOnly() {
    scriptCreate(Samples.opOf("succeeded", "ready", -1));
    CliRun.Result r = run("vm", "create", "demo", "--image", "base", "--detach");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).isEqualTo(Samples.OP_ID + System.lineSeparator());
    assertThat(hearth.calls()).hasSize(1);

    CliRun.Result json = run("vm", "create", "demo", "--image", "base", "-d", "--json");
    assertThat(Samples.node(json.out()).path("stage").asText()).isEqualTo("rootfs");
  }

  @Test
  void createJsonPrintsTheFinalVmAndNoProgress() {
    scriptCreate(Samples.opOf("succeeded", "ready", -1), Samples.opOf("running", "boot", -1));
    CliRun.Result r = run("vm", "create", "demo", "--image", "base", "--json");
    assertThat(r.out().lines()).hasSize(1);
    assertThat(Samples.node(r.out()).path("ip").asText()).isEqualTo("10.77.0.2");
  }

  @Test
  void createQuietPrintsTheNameOnly() {
    scriptCreate(Samples.opOf("succeeded", "ready", -1), Samples.opOf("running", "boot", -1));
    assertThat(run("vm", "create", "demo", "--image", "base", "-q").out())
        .isEqualTo("demo" + System.lineSeparator());
  }

  @Test
  void createNoStartSaysHowToStartIt() {
    scriptCreate(Samples.opOf("succeeded", "identity", -1));
    hearth.vmShow =
        vm -> Samples.details(Samples.vmOf("demo", "stopped", "10.77.0.2", "2024-05-01T11:59:50Z"));
    CliRun.Result r = run("vm", "create", "demo", "--image", "base", "--no-start");

    assertThat(((VmSpec) hearth.callOf("vm.create").arg(0)).noStart()).isTrue();
    assertThat(r.out()).contains("demo is stopped").contains("hearth vm start demo");
  }

  @Test
  void ctrlCWhileCreatingLeavesTheOpRunningAndSaysHowToGetBackToIt() {
    scriptCreate(Samples.opOf("succeeded", "ready", -1));
    hearth.opWatch =
        (id, listener) -> {
          listener.accept(Samples.opOf("running", "boot", -1));
          interrupts.interrupt();
          // The JVM would exit now; here the connection goes away under the watch.
          throw new DaemonUnavailableException(Path.of("/tmp/x.sock"), "closed", null);
        };
    CliRun.Result r = run("vm", "create", "demo", "--image", "base");

    assertThat(r.exitCode()).isEqualTo(130);
    assertThat(r.err().lines()).containsExactly(OpFollower.stillRunning(Samples.OP_ID));
    assertThat(r.err())
        .contains("hearth op watch " + Samples.OP_ID)
        .contains("hearth op cancel " + Samples.OP_ID);
    assertThat(hearth.methods()).doesNotContain("op.cancel");
  }

  @Test
  void listIsATableAndJsonIsTheArray() {
    hearth.vmList = () -> List.of(Samples.demoRunningVm());
    CliRun.Result r = run("vm", "list");
    assertThat(r.out().lines())
        .containsExactly(
            "NAME  STATE    IP         IMAGE  VCPUS  MEMORY  AGE",
            "demo  running  10.77.0.2  base   2      1 GiB   5m");

    CliRun.Result json = run("vm", "ls", "--json");
    JsonNode vms = Samples.node(json.out());
    assertThat(vms.isArray()).isTrue();
    assertThat(vms.get(0).path("name").asText()).isEqualTo("demo");
  }

  @Test
  void showPrintsDetailsOrTheObject() {
    hearth.vmShow = vm -> Samples.details(Samples.demoRunningVm());
    assertThat(run("vm", "show", "fedc").out()).contains("Name:         demo");
    assertThat(hearth.callOf("vm.show").arg(0)).isEqualTo("fedc");
    assertThat(Samples.node(run("vm", "show", "demo", "--json").out()).path("id").asText())
        .isEqualTo(Samples.VM_ID);
  }

  @Test
  void createPassesTheEgressPolicyCanonicalAndRefusesABadOne() {
    scriptCreate(Samples.opOf("succeeded", "ready", -1));
    assertThat(
            run("vm", "create", "demo", "--image", "base", "--egress", "allow:GitHub.com")
                .exitCode())
        .isZero();
    VmSpec spec = (VmSpec) hearth.callOf("vm.create").arg(0);
    assertThat(spec.egress()).hasValue("allow:github.com");

    CliRun.Result bad = run("vm", "create", "web", "--image", "base", "--egress", "allow:a..b");
    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(bad.err()).contains("bad entry 'a..b'");
  }

  @Test
  void egressShowsThePolicyAndDenialsAndChangesItLive() {
    hearth.vmEgress =
        (vm, policy) ->
            new VmEgress(
                "demo",
                policy.orElse("allow:github.com"),
                1,
                List.of(
                    new VmEgress.RefusedName("pypi.org", Instant.parse("2024-05-01T11:59:00Z"))),
                3,
                List.of(new VmEgress.DeniedDestination("203.0.113.7", 443, 20)));
    String shown = run("vm", "egress", "demo").out();
    assertThat(shown)
        .contains("Policy:")
        .contains("allow:github.com")
        .contains("refused name pypi.org")
        .contains("denied 203.0.113.7:443");
    assertThat(hearth.callOf("vm.egress").args()).containsExactly("demo");

    assertThat(run("vm", "egress", "demo", "--deny-all").out()).contains("none");
    assertThat(run("vm", "egress", "demo", "--open").out()).contains("open");
    assertThat(
            Samples.node(run("vm", "egress", "demo", "--allow", "a.com,10.0.0.0/8", "--json").out())
                .path("policy")
                .asText())
        .isEqualTo("allow:a.com,10.0.0.0/8");
    CliRun.Result both = run("vm", "egress", "demo", "--open", "--deny-all");
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).contains("mutually exclusive");
  }

  @Test
  void lifecycleVerbsPrintOneLineOrNothingWhenQuiet() {
    Vm stopped = Samples.vmOf("demo", "stopped", "10.77.0.2", "2024-05-01T11:55:00Z");
    hearth.vmStart = vm -> Samples.demoRunningVm();
    hearth.vmStop = (vm, timeout) -> stopped;
    hearth.vmKill = vm -> stopped;
    hearth.vmDelete = (vm, force) -> Samples.VM_ID;

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
    assertThat(Samples.node(run("vm", "delete", "demo", "--json").out()).path("deleted").asText())
        .isEqualTo(Samples.VM_ID);
  }

  @Test
  void stopAndDeleteSendTheirOptions() {
    hearth.vmStop = (vm, timeout) -> Samples.demoRunningVm();
    hearth.vmDelete = (vm, force) -> Samples.VM_ID;
    run("vm", "stop", "demo", "--timeout", "7");
    run("vm", "delete", "demo");
    assertThat(hearth.callOf("vm.stop").arg(1)).isEqualTo(Optional.of(Duration.ofSeconds(7)));
    assertThat(hearth.callOf("vm.delete").arg(1)).isEqualTo(false);
    assertThat(run("vm", "stop", "demo", "--timeout", "-1").exitCode()).isEqualTo(2);
  }

  @Test
  void aDaemonErrorIsOneLineWithItsKind() {
    hearth.vmShow =
        vm -> {
          throw HearthException.notFound("no VM named 'x'");
        };
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
  void logsWritesTheBytesAsTheyAreWhenStdoutIsNotATerminal() {
    byte[] console = "boot ok\n\u001b[31mred\u001b[0m \u001b]0;t\u0007login: ".getBytes(UTF_8);
    byte[] withBadByte = Arrays.copyOf(console, console.length + 1);
    withBadByte[console.length] = (byte) 0xff;
    hearth.vmLogs = (vm, tail) -> withBadByte;
    FakeTerminal terminal = new FakeTerminal(new byte[0]);
    CliRun.Result r =
        CliRun.run(env(false).withTerminal(terminal), "vm", "logs", "demo", "--tail", "2");
    assertThat(r.exitCode()).isZero();
    assertThat(terminal.out()).isEqualTo(withBadByte);
    assertThat(hearth.callOf("vm.logs").arg(1)).isEqualTo(OptionalLong.of(2));
    assertThat(hearth.methods()).doesNotContain("vm.logs --follow");
  }

  @Test
  void logsOnATerminalLeaveOutEscapeSequencesUnlessRaw() {
    byte[] console =
        "boot ok\r\n\u001b[31mred\u001b[0m\u001b]0;pwned\u0007 login: ".getBytes(UTF_8);
    hearth.vmLogs = (vm, tail) -> console;
    FakeTerminal terminal = new FakeTerminal(InputStream.nullInputStream(), true, null);
    assertThat(CliRun.run(env(true).withTerminal(terminal), "vm", "logs", "demo").exitCode())
        .isZero();
    assertThat(new String(terminal.out(), UTF_8)).isEqualTo("boot ok\nred login: ");

    FakeTerminal raw = new FakeTerminal(InputStream.nullInputStream(), true, null);
    assertThat(CliRun.run(env(true).withTerminal(raw), "vm", "logs", "--raw", "demo").exitCode())
        .isZero();
    assertThat(raw.out()).isEqualTo(console);
  }

  @Test
  void logsFollowOnATerminalKeepsSplitSequencesAndCharactersWhole() {
    byte[] euro = "€\n".getBytes(UTF_8);
    hearth.vmFollowLogs =
        (vm, tail) ->
            List.of(
                "é \u001b[3".getBytes(UTF_8),
                "1m".getBytes(UTF_8),
                new byte[] {euro[0]},
                new byte[] {euro[1], euro[2], euro[3]},
                new byte[] {(byte) 0xff, 'x'});
    FakeTerminal terminal = new FakeTerminal(InputStream.nullInputStream(), true, null);
    CliRun.Result r = CliRun.run(env(true).withTerminal(terminal), "vm", "logs", "demo", "-f");
    assertThat(r.exitCode()).isZero();
    assertThat(new String(terminal.out(), UTF_8)).isEqualTo("é €\n\uFFFDx");
    assertThat(hearth.callOf("vm.logs --follow").arg(1)).isEqualTo(OptionalLong.empty());
  }
}
