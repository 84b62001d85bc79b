package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.daemon.RpcException;
import java.io.ByteArrayInputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vm exec, vm ssh and vm cp against a scripted daemon, terminal and tar. */
class VmGuestCommandsTest {
  private final FakeDaemon daemon = new FakeDaemon();
  private final FakeHostTar tar = new FakeHostTar();
  @TempDir Path dir;

  private CliRun.Result run(FakeTerminal terminal, String... args) {
    return run(Map.of(), terminal, args);
  }

  private CliRun.Result run(Map<String, String> vars, FakeTerminal terminal, String... args) {
    Environment env =
        new Environment(vars, false)
            .withClock(new FakeClock(Samples.NOW))
            .withConnector(daemon)
            .withTerminal(terminal)
            .withTar(tar);
    return CliRun.run(env, args);
  }

  private static FakeTerminal pipedStdin(String input) {
    return new FakeTerminal(input.getBytes(StandardCharsets.UTF_8));
  }

  private static FakeTerminal tty() {
    return new FakeTerminal(
        new ByteArrayInputStream(new byte[0]), true, new Terminal.Size(120, 33));
  }

  @Test
  void execSendsTheCommandAndExitsWithItsCode() {
    daemon.onStream(
        "vm.exec",
        (params, stream) -> {
          stream.out(1, "out\n");
          stream.out(2, "err\n");
          return FakeDaemon.json("{\"exit_code\": 3}");
        });
    FakeTerminal terminal = pipedStdin("");

    CliRun.Result result =
        run(
            terminal, "vm", "exec", "demo", "--env", "A=1=2", "-e", "B=", "--cwd", "/srv", "--",
            "sh", "-c", "exit 3");

    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(new String(terminal.out())).isEqualTo("out\n");
    assertThat(new String(terminal.err())).isEqualTo("err\n");
    JsonNode params = daemon.paramsOf("vm.exec");
    assertThat(params.path("vm").asText()).isEqualTo("demo");
    assertThat(params.path("argv").toString()).isEqualTo("[\"sh\",\"-c\",\"exit 3\"]");
    assertThat(params.path("env").toString()).isEqualTo("{\"A\":\"1=2\",\"B\":\"\"}");
    assertThat(params.path("cwd").asText()).isEqualTo("/srv");
    assertThat(params.has("tty")).isFalse();
    assertThat(daemon.allClosed()).isTrue();
  }

  @Test
  void execForwardsStdinWhenItIsNotATerminal() {
    daemon.onStream(
        "vm.exec",
        (params, stream) -> {
          stream.out(1, new String(stream.awaitInputEnd(), StandardCharsets.UTF_8));
          return FakeDaemon.json("{\"exit_code\": 0}");
        });
    FakeTerminal terminal = pipedStdin("x\n");

    CliRun.Result result = run(terminal, "vm", "exec", "demo", "--", "cat");

    assertThat(result.exitCode()).isZero();
    assertThat(new String(terminal.out())).isEqualTo("x\n");
  }

  @Test
  void execOnATerminalWithoutTtyEndsTheInputAtOnce() throws Exception {
    PipedOutputStream typing = new PipedOutputStream();
    FakeTerminal terminal = new FakeTerminal(new PipedInputStream(typing), true, null);
    daemon.onStream(
        "vm.exec",
        (params, stream) -> {
          assertThat(stream.awaitInputEnd()).isEmpty();
          return FakeDaemon.json("{\"exit_code\": 0}");
        });

    assertThat(run(terminal, "vm", "exec", "demo", "--", "cat").exitCode()).isZero();
    assertThat(terminal.rawModeEntered()).isZero();
    typing.close();
  }

  @Test
  void execWithTtyUsesRawModeAndSendsTheTerminal() {
    FakeTerminal terminal = tty();
    daemon.onStream(
        "vm.exec",
        (params, stream) -> {
          assertThat(terminal.raw()).isTrue();
          return FakeDaemon.json("{\"exit_code\": 0}");
        });

    CliRun.Result result =
        run(Map.of("TERM", "screen"), terminal, "vm", "exec", "-t", "demo", "--", "top");

    assertThat(result.exitCode()).isZero();
    JsonNode params = daemon.paramsOf("vm.exec");
    assertThat(params.path("tty").asBoolean()).isTrue();
    assertThat(params.path("cols").asInt()).isEqualTo(120);
    assertThat(params.path("rows").asInt()).isEqualTo(33);
    assertThat(params.path("term").asText()).isEqualTo("screen");
    assertThat(terminal.rawModeRestored()).isEqualTo(1);
    assertThat(terminal.raw()).isFalse();
  }

  @Test
  void badExecArgumentsAreUsageErrors() {
    FakeTerminal terminal = pipedStdin("");
    CliRun.Result badEnv = run(terminal, "vm", "exec", "demo", "--env", "1X=2", "--", "true");
    assertThat(badEnv.exitCode()).isEqualTo(2);
    assertThat(badEnv.err()).contains("--env takes NAME=VALUE").contains("'1X=2'");
    CliRun.Result noCommand = run(terminal, "vm", "exec", "demo");
    assertThat(noCommand.exitCode()).isEqualTo(2);
    assertThat(daemon.requests()).isEmpty();
  }

  @Test
  void execReportsADaemonErrorAsOneLine() {
    daemon.onStream(
        "vm.exec",
        (params, stream) -> {
          throw new RpcException(-32004, "precondition_failed", "VM demo is stopped, not running");
        });

    CliRun.Result result = run(pipedStdin(""), "vm", "exec", "demo", "--", "true");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err())
        .isEqualTo("hearth: VM demo is stopped, not running (precondition_failed)\n");
  }

  @Test
  void sshRunsTheShellInRawModeForwardingResizesAndExitsWithItsCode() {
    FakeTerminal terminal = tty();
    daemon.onStream(
        "vm.shell",
        (params, stream) -> {
          terminal.resize(new Terminal.Size(90, 20));
          assertThat(stream.awaitResizes(1)).containsExactly("90x20");
          return FakeDaemon.json("{\"exit_code\": 5}");
        });

    CliRun.Result result = run(terminal, "vm", "ssh", "demo");

    assertThat(result.exitCode()).isEqualTo(5);
    JsonNode params = daemon.paramsOf("vm.shell");
    assertThat(params.path("cols").asInt()).isEqualTo(120);
    assertThat(params.path("term").asText()).isEqualTo(VmExecCommand.DEFAULT_TERM);
    assertThat(terminal.rawModeEntered()).isEqualTo(1);
    assertThat(terminal.rawModeRestored()).isEqualTo(1);
  }

  @Test
  void cpToTheGuestSendsTheArchiveOfTheSource() throws Exception {
    Path file = Files.writeString(dir.resolve("notes.txt"), "hello");
    daemon.onStream(
        "vm.copy",
        (params, stream) -> {
          assertThat(new String(stream.awaitInputEnd(), StandardCharsets.UTF_8))
              .isEqualTo("notes.txt\nhello");
          return FakeDaemon.json("{\"bytes\": 15}");
        });

    CliRun.Result result = run(pipedStdin(""), "vm", "cp", file.toString(), "demo:/root/");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEqualTo("copied " + file + " to demo:/root/\n");
    JsonNode params = daemon.paramsOf("vm.copy");
    assertThat(params.path("direction").asText()).isEqualTo("to_guest");
    assertThat(params.path("path").asText()).isEqualTo("/root/");
    assertThat(params.path("name").asText()).isEqualTo("notes.txt");
  }

  @Test
  void cpFromTheGuestIntoAFolderOrAsANewName() throws Exception {
    daemon.onStream(
        "vm.copy",
        (params, stream) -> {
          stream.out(1, "syslog\nlog lines");
          return FakeDaemon.json("{\"bytes\": 16}");
        });

    assertThat(run(pipedStdin(""), "vm", "cp", "demo:/var/log/syslog", dir.toString()).exitCode())
        .isZero();
    assertThat(Files.readString(dir.resolve("syslog"))).isEqualTo("log lines");
    assertThat(tar.unpackedInto).containsExactly(dir);

    Path renamed = dir.resolve("copy.log");
    CliRun.Result result =
        run(pipedStdin(""), "--json", "vm", "cp", "demo:/var/log/syslog", renamed.toString());
    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEqualTo("{\"bytes\":16}\n");
    assertThat(Files.readString(renamed)).isEqualTo("log lines");
    try (var listing = Files.list(dir)) {
      assertThat(listing.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("syslog", "copy.log");
    }
  }

  @Test
  void cpNamesMissingHostPathsBeforeAskingTheDaemon() {
    CliRun.Result missingSource =
        run(pipedStdin(""), "vm", "cp", dir.resolve("nope").toString(), "demo:/root");
    assertThat(missingSource.exitCode()).isEqualTo(1);
    assertThat(missingSource.err()).contains("no such file or folder: " + dir.resolve("nope"));

    CliRun.Result missingParent =
        run(pipedStdin(""), "vm", "cp", "demo:/etc/hosts", dir.resolve("a/b").toString());
    assertThat(missingParent.exitCode()).isEqualTo(1);
    assertThat(missingParent.err()).contains("no such folder: " + dir.resolve("a"));
    assertThat(daemon.requests()).isEmpty();
  }

  @Test
  void cpNeedsExactlyOneGuestSide() {
    assertThat(run(pipedStdin(""), "vm", "cp", "a", "b").exitCode()).isEqualTo(2);
    CliRun.Result both = run(pipedStdin(""), "vm", "cp", "demo:/a", "demo:/b");
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).contains("one of SRC and DST must be VM:PATH");
  }
}
