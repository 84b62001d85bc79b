package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.hearth.core.testing.FakeClock;
import dev.hearth.daemon.CopiedOut;
import dev.hearth.daemon.CopyLimits;
import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.Pty;
import java.io.ByteArrayInputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vm exec, vm ssh and vm cp against a fake hearth, terminal and tar. */
class VmGuestCommandsTest {
  private final FakeHearth hearth = new FakeHearth();
  private final FakeHostTar tar = new FakeHostTar();
  @TempDir Path dir;

  private CliRun.Result run(FakeTerminal terminal, String... args) {
    return run(Map.of(), terminal, args);
  }

  private CliRun.Result run(Map<String, String> vars, FakeTerminal terminal, String... args) {
    Environment env =
        new Environment(vars, false)
            .withClock(new FakeClock(Samples.NOW))
            .withHearths(hearth)
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
    hearth.vmExec =
        stream -> {
          stream.out(1, "out\n");
          stream.out(2, "err\n");
          return 3;
        };
    FakeTerminal terminal = pipedStdin("");

    CliRun.Result result =
        run(
            terminal, "vm", "exec", "demo", "--env", "A=1=2", "-e", "B=", "--cwd", "/srv", "--",
            "sh", "-c", "exit 3");

    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(new String(terminal.out())).isEqualTo("out\n");
    assertThat(new String(terminal.err())).isEqualTo("err\n");
    FakeHearth.Call exec = hearth.callOf("vm.exec");
    assertThat(exec.arg(0)).isEqualTo("demo");
    ExecSpec spec = (ExecSpec) exec.arg(1);
    assertThat(spec.argv()).containsExactly("sh", "-c", "exit 3");
    assertThat(spec.env()).containsOnly(entry("A", "1=2"), entry("B", ""));
    assertThat(spec.cwd()).contains("/srv");
    assertThat(spec.pty()).isEmpty();
    assertThat(hearth.allClosed()).isTrue();
  }

  @Test
  void execForwardsStdinWhenItIsNotATerminal() {
    hearth.vmExec =
        stream -> {
          stream.out(1, new String(stream.awaitInputEnd(), StandardCharsets.UTF_8));
          return 0;
        };
    FakeTerminal terminal = pipedStdin("x\n");

    CliRun.Result result = run(terminal, "vm", "exec", "demo", "--", "cat");

    assertThat(result.exitCode()).isZero();
    assertThat(new String(terminal.out())).isEqualTo("x\n");
  }

  @Test
  void execOnATerminalWithoutTtyEndsTheInputAtOnce() throws Exception {
    PipedOutputStream typing = new PipedOutputStream();
    FakeTerminal terminal = new FakeTerminal(new PipedInputStream(typing), true, null);
    hearth.vmExec =
        stream -> {
          assertThat(stream.awaitInputEnd()).isEmpty();
          return 0;
        };

    assertThat(run(terminal, "vm", "exec", "demo", "--", "cat").exitCode()).isZero();
    assertThat(terminal.rawModeEntered()).isZero();
    typing.close();
  }

  @Test
  void execWithTtyUsesRawModeAndSendsTheTerminal() {
    FakeTerminal terminal = tty();
    hearth.vmExec =
        stream -> {
          assertThat(terminal.raw()).isTrue();
          return 0;
        };

    CliRun.Result result =
        run(Map.of("TERM", "screen"), terminal, "vm", "exec", "-t", "demo", "--", "top");

    assertThat(result.exitCode()).isZero();
    ExecSpec spec = (ExecSpec) hearth.callOf("vm.exec").arg(1);
    assertThat(spec.pty()).contains(new Pty("screen", 120, 33));
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
    assertThat(hearth.calls()).isEmpty();
  }

  @Test
  void execReportsADaemonErrorAsOneLine() {
    hearth.vmExec =
        stream -> {
          throw HearthException.preconditionFailed("VM demo is stopped, not running");
        };

    CliRun.Result result = run(pipedStdin(""), "vm", "exec", "demo", "--", "true");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err())
        .isEqualTo("hearth: VM demo is stopped, not running (precondition_failed)\n");
  }

  @Test
  void sshRunsTheShellInRawModeForwardingResizesAndExitsWithItsCode() {
    FakeTerminal terminal = tty();
    hearth.vmShell =
        stream -> {
          terminal.resize(new Terminal.Size(90, 20));
          assertThat(stream.awaitResizes(1)).containsExactly("90x20");
          return 5;
        };

    CliRun.Result result = run(terminal, "vm", "ssh", "demo");

    assertThat(result.exitCode()).isEqualTo(5);
    Pty pty = (Pty) hearth.callOf("vm.shell").arg(1);
    assertThat(pty.cols()).isEqualTo(120);
    assertThat(pty.term()).isEqualTo(VmExecCommand.DEFAULT_TERM);
    assertThat(terminal.rawModeEntered()).isEqualTo(1);
    assertThat(terminal.rawModeRestored()).isEqualTo(1);
  }

  @Test
  void cpToTheGuestSendsTheArchiveOfTheSource() throws Exception {
    Path file = Files.writeString(dir.resolve("notes.txt"), "hello");
    hearth.vmCopyIn =
        archive -> {
          assertThat(new String(archive, StandardCharsets.UTF_8)).isEqualTo("notes.txt\nhello");
          return 15L;
        };

    CliRun.Result result = run(pipedStdin(""), "vm", "cp", file.toString(), "demo:/root/");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).isEqualTo("copied " + file + " to demo:/root/\n");
    FakeHearth.Call copy = hearth.callOf("vm.copy to_guest");
    assertThat(copy.args()).containsExactly("demo", "/root/", "notes.txt");
  }

  @Test
  void cpFromTheGuestHandsTheDestinationToTheApiAndNamesWhatItRefused() throws Exception {
    hearth.vmCopyOutTo =
        destination ->
            new CopiedOut(
                destination.resolve("syslog"),
                2048,
                List.of(
                    new CopiedOut.Refused("syslog/\u001b]0;pwned\u0007", "a device"),
                    new CopiedOut.Refused("/etc/passwd", "an absolute path")),
                2);

    CliRun.Result into = run(pipedStdin(""), "vm", "cp", "demo:/var/log/syslog", dir.toString());

    assertThat(into.exitCode()).isZero();
    assertThat(into.out()).isEqualTo("copied demo:/var/log/syslog to " + dir + "\n");
    assertThat(into.err())
        .isEqualTo(
            "hearth: warning: 2 entries of the VM's archive not written:"
                + " 'syslog/\\x1b]0;pwned\\x07' (a device); '/etc/passwd' (an absolute path)\n");
    FakeHearth.Call copy = hearth.callOf("vm.copy from_guest");
    assertThat(copy.args())
        .containsExactly("demo", "/var/log/syslog", dir.toAbsolutePath(), CopyLimits.DEFAULT);

    Path renamed = dir.resolve("copy.log");
    CliRun.Result json =
        run(
            pipedStdin(""),
            "--json",
            "vm",
            "cp",
            "--max-size",
            "1M",
            "demo:/var/log/syslog",
            renamed.toString());
    assertThat(json.exitCode()).isZero();
    assertThat(json.out())
        .isEqualTo(
            "{\"bytes\":2048,\"path\":\""
                + renamed.resolve("syslog")
                + "\",\"refused\":[{\"name\":\"syslog/\\u001B]0;pwned\\u0007\",\"reason\":\"a"
                + " device\"},{\"name\":\"/etc/passwd\",\"reason\":\"an absolute path\"}],"
                + "\"refused_count\":2}\n");
    assertThat(hearth.calls().get(hearth.calls().size() - 1).args())
        .containsExactly(
            "demo", "/var/log/syslog", renamed, CopyLimits.DEFAULT.withMaxBytes(1024 * 1024));
  }

  @Test
  void cpFromTheGuestNamesAtMostTwentyRefusedEntries() {
    List<CopiedOut.Refused> refused = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      refused.add(new CopiedOut.Refused("d/dev" + i, "a device"));
    }
    hearth.vmCopyOutTo = destination -> new CopiedOut(destination, 10, refused, 5000);

    CliRun.Result result = run(pipedStdin(""), "vm", "cp", "demo:/d", dir.toString());

    assertThat(result.exitCode()).isZero();
    assertThat(result.err())
        .startsWith("hearth: warning: 5000 entries of the VM's archive not written: 'd/dev0'")
        .contains("'d/dev19' (a device); and 4980 more\n")
        .doesNotContain("d/dev20");
  }

  @Test
  void cpFromTheGuestRefusesABadMaxSize() {
    CliRun.Result result =
        run(pipedStdin(""), "vm", "cp", "--max-size", "lots", "demo:/d", dir.toString());
    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).contains("--max-size: 'lots' is not a size");
    assertThat(hearth.calls()).isEmpty();
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
    CliRun.Result missingFolder =
        run(pipedStdin(""), "vm", "cp", "demo:/etc/hosts", dir.resolve("nope") + "/");
    assertThat(missingFolder.exitCode()).isEqualTo(1);
    assertThat(missingFolder.err()).contains("no such folder: " + dir.resolve("nope") + "/");
    assertThat(hearth.calls()).isEmpty();
  }

  @Test
  void cpNeedsExactlyOneGuestSide() {
    assertThat(run(pipedStdin(""), "vm", "cp", "a", "b").exitCode()).isEqualTo(2);
    CliRun.Result both = run(pipedStdin(""), "vm", "cp", "demo:/a", "demo:/b");
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).contains("one of SRC and DST must be VM:PATH");
  }
}
