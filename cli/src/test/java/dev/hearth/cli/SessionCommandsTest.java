package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.Session;
import dev.hearth.daemon.SessionEnd;
import dev.hearth.daemon.SessionList;
import dev.hearth.daemon.SessionOutput;
import dev.hearth.daemon.SessionStart;
import dev.hearth.daemon.SessionStarted;
import dev.hearth.daemon.SessionState;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The session commands against a fake hearth: arguments, requests, output, exit codes. */
class SessionCommandsTest {
  /** What a guest could print: OSC 52 (sets the clipboard), then "erase the screen". */
  private static final String HOSTILE = "\u001b]52;c;ZXZpbA==\u0007\u001b[2J";

  private static final String HOSTILE_ESCAPED = "\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J";

  private final FakeHearth hearth = new FakeHearth();
  private FakeTerminal terminal = new FakeTerminal(new byte[0]);

  private CliRun.Result run(String... args) {
    Environment env =
        new Environment(Map.of(), false)
            .withClock(new FakeClock(Samples.NOW))
            .withHearths(hearth)
            .withTerminal(terminal);
    return CliRun.run(env, args);
  }

  private static Session session(
      String id, String name, SessionState state, OptionalInt exit, String command) {
    return new Session(
        id,
        name.isEmpty() ? Optional.empty() : Optional.of(name),
        state,
        exit,
        Instant.parse("2024-05-01T11:58:00Z"),
        command,
        List.of(command),
        Optional.empty(),
        Map.of());
  }

  private static SessionOutput ended(long nextOffset, int exitCode) {
    return new SessionOutput(
        nextOffset,
        session("0123456789", "build", SessionState.EXITED, OptionalInt.of(exitCode), "make"));
  }

  private String written(int call) {
    byte[] data = (byte[]) hearth.calls().get(call).arg(2);
    return new String(data, StandardCharsets.UTF_8);
  }

  @Test
  void startSendsTheExactArgvNameFolderAndEnvironmentAndPrintsTheId() {
    hearth.sessionStart = start -> new SessionStarted("0123456789", Optional.of("build"));

    CliRun.Result r =
        run(
            "session",
            "start",
            "demo",
            "--name",
            "build",
            "--cwd",
            "/srv/my app",
            "-e",
            "A=1=2",
            "--env",
            "B=",
            "--",
            "sh",
            "-c",
            "echo \"$A\"; exit 3",
            "it's");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).isEqualTo("0123456789\n");
    SessionStart start = (SessionStart) hearth.callOf("session.start").arg(0);
    assertThat(start.vm()).isEqualTo("demo");
    assertThat(start.name()).contains("build");
    assertThat(start.cwd()).contains("/srv/my app");
    assertThat(start.argv()).containsExactly("sh", "-c", "echo \"$A\"; exit 3", "it's");
    assertThat(start.env()).containsOnly(entry("A", "1=2"), entry("B", ""));
    assertThat(Samples.node(run("--json", "session", "start", "demo", "--", "true").out()))
        .hasToString("{\"id\":\"0123456789\",\"name\":\"build\"}");
  }

  @Test
  void startRefusesABadEnvAndAMissingCommand() {
    CliRun.Result bad = run("session", "start", "demo", "--env", "NOVALUE", "--", "true");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("--env takes NAME=VALUE; got 'NOVALUE'");
    CliRun.Result none = run("session", "start", "demo");
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).contains("give the command after --");
    assertThat(hearth.calls()).isEmpty();
  }

  @Test
  void listShowsATableWithHostileCommandsOnOneLine() {
    hearth.sessionList =
        vm ->
            new SessionList(
                List.of(
                    new SessionList.Listed(
                        "demo",
                        session(
                            "0123456789",
                            "build",
                            SessionState.RUNNING,
                            OptionalInt.empty(),
                            "make 'a\nb'")),
                    new SessionList.Listed(
                        "demo",
                        session(
                            "abcdef0123", "", SessionState.EXITED, OptionalInt.of(3), "false"))),
                List.of());

    CliRun.Result r = run("session", "list", "demo");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out())
        .isEqualTo(
            "ID          NAME   STATE    EXIT  STARTED  COMMAND\n"
                + "0123456789  build  running  -     2m ago   make 'a\\nb'\n"
                + "abcdef0123  -      exited   3     2m ago   false\n");
    assertThat(hearth.callOf("session.list").arg(0)).isEqualTo(Optional.of("demo"));
  }

  @Test
  void listOfAllVmsShowsTheVmAndReportsVmsThatFailed() {
    hearth.sessionList =
        vm ->
            new SessionList(
                List.of(
                    new SessionList.Listed(
                        "demo",
                        session(
                            "0123456789",
                            "build",
                            SessionState.LOST,
                            OptionalInt.empty(),
                            "sleep 1"))),
                List.of(new SessionList.Failure("other", "cannot reach it")));

    CliRun.Result r = run("session", "ls");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).startsWith("ID          NAME   VM    STATE").contains("demo  lost");
    assertThat(r.err())
        .isEqualTo("hearth: cannot list the sessions of VM other: cannot reach it\n");
    assertThat(hearth.callOf("session.list").arg(0)).isEqualTo(Optional.empty());

    CliRun.Result json = run("--json", "session", "list");
    assertThat(Samples.node(json.out()).get(0).path("state").asText()).isEqualTo("lost");
    assertThat(Samples.node(json.out()).get(0).path("vm").asText()).isEqualTo("demo");
  }

  @Test
  void aSessionNameFromTheGuestIsEscapedInTheList() {
    hearth.sessionList =
        vm ->
            new SessionList(
                List.of(
                    new SessionList.Listed(
                        "demo",
                        session(
                            "0123456789",
                            "x" + HOSTILE,
                            SessionState.RUNNING,
                            OptionalInt.empty(),
                            "make"))),
                List.of());

    CliRun.Result list = run("session", "list");

    assertThat(list.out())
        .doesNotContain("\u001b", "\u0007")
        .contains("0123456789  x" + HOSTILE_ESCAPED + "  demo  running");
  }

  @Test
  void anErrorThatQuotesAGuestIsEscapedButKeepsItsLines() {
    hearth.sessionAwait =
        () -> {
          throw HearthException.hostError("the copy script failed: " + HOSTILE + "\rdone");
        };
    CliRun.Result failed = run("session", "wait", "demo", "build");
    assertThat(failed.exitCode()).isEqualTo(1);
    assertThat(failed.err())
        .isEqualTo(
            "hearth: the copy script failed: " + HOSTILE_ESCAPED + "\\x0ddone (host_error)\n");
    CliRun.Result traced = run("--stacktrace", "session", "wait", "demo", "build");
    assertThat(traced.err())
        .doesNotContain("\u001b", "\u0007", "\r")
        .contains("HearthException: the copy script failed: " + HOSTILE_ESCAPED)
        .contains("\tat ");

    hearth.sessionList =
        vm ->
            new SessionList(
                List.of(),
                List.of(new SessionList.Failure("other", "it said " + HOSTILE + "\nnext\tline")));
    // Newline and tab are kept: a guest script's stderr stays readable.
    assertThat(run("session", "list").err())
        .isEqualTo(
            "hearth: cannot list the sessions of VM other: it said "
                + HOSTILE_ESCAPED
                + "\nnext\tline\n");
  }

  @Test
  void writeSendsTextWithANewlineOrStdinInChunksThenEof() {
    hearth.sessionWrite = (data, eof) -> data.length;

    assertThat(run("session", "write", "demo", "build", "hello", "wörld").exitCode()).isZero();
    assertThat(written(0)).isEqualTo("hello wörld\n");

    byte[] big = new byte[SessionCommand.WRITE_CHUNK_BYTES + 10];
    java.util.Arrays.fill(big, (byte) 'x');
    terminal = new FakeTerminal(big);
    CliRun.Result r = run("session", "write", "demo", "build", "--stdin", "--eof");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).isEqualTo("wrote " + big.length + " bytes and closed the input\n");
    List<FakeHearth.Call> writes = hearth.calls().subList(1, 4);
    assertThat((byte[]) writes.get(0).arg(2)).hasSize(SessionCommand.WRITE_CHUNK_BYTES);
    assertThat((byte[]) writes.get(1).arg(2)).hasSize(10);
    assertThat(writes.get(1).arg(3)).isEqualTo(false);
    assertThat(writes.get(2).arg(3)).isEqualTo(true);
    assertThat((byte[]) writes.get(2).arg(2)).isEmpty();

    assertThat(run("session", "write", "demo", "build", "-n", "x").exitCode()).isZero();
    assertThat(written(4)).isEqualTo("x");
    assertThat(run("session", "write", "demo", "build").exitCode()).isEqualTo(2);
  }

  @Test
  void killSendsTheSignal() {
    hearth.sessionKill = signal -> "INT";
    CliRun.Result r = run("session", "kill", "demo", "build", "--signal", "int");
    assertThat(r.out()).isEqualTo("sent INT to session build\n");
    assertThat(hearth.callOf("session.kill").arg(2)).isEqualTo(Optional.of("int"));
  }

  @Test
  void waitExitsWithTheSessionsCodeAndALostSessionIsAnError() {
    hearth.sessionAwait = () -> new SessionEnd(SessionState.EXITED, OptionalInt.of(7));
    assertThat(run("session", "wait", "demo", "build").exitCode()).isEqualTo(7);

    hearth.sessionAwait = () -> new SessionEnd(SessionState.LOST, OptionalInt.empty());
    CliRun.Result r = run("session", "wait", "demo", "build");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).startsWith("hearth: session build was lost");
  }

  @Test
  void logsStreamsTheOutputFromAnOffset() {
    hearth.sessionLogs =
        out -> {
          out.output(1, "llo\n".getBytes(StandardCharsets.UTF_8));
          return ended(6, 0);
        };
    CliRun.Result r = run("session", "logs", "demo", "build", "--from", "2", "-f");
    assertThat(r.exitCode()).isZero();
    assertThat(new String(terminal.out(), StandardCharsets.UTF_8)).isEqualTo("llo\n");
    FakeHearth.Call logs = hearth.callOf("session.logs");
    assertThat(logs.arg(2)).isEqualTo(2L);
    assertThat(logs.arg(3)).isEqualTo(true);
    assertThat(run("session", "logs", "demo", "build", "--from", "-1").exitCode()).isEqualTo(2);
  }

  @Test
  void logsPassBytesWhenNotATerminalAndStripSequencesOnOneUnlessRaw() {
    byte[] output = "a\u001b[2Jb\u001b]52;c;eA==\u0007c\rd\n".getBytes(StandardCharsets.UTF_8);
    byte[] withBadByte = java.util.Arrays.copyOf(output, output.length + 1);
    withBadByte[output.length] = (byte) 0xff;
    hearth.sessionLogs =
        out -> {
          out.output(1, withBadByte);
          return ended(withBadByte.length, 0);
        };
    assertThat(run("session", "logs", "demo", "build").exitCode()).isZero();
    assertThat(terminal.out()).as("not a terminal: the bytes").isEqualTo(withBadByte);

    terminal = new FakeTerminal(InputStream.nullInputStream(), true, null);
    assertThat(run("session", "logs", "demo", "build").exitCode()).isZero();
    assertThat(new String(terminal.out(), StandardCharsets.UTF_8)).isEqualTo("abcd\n\uFFFD");

    terminal = new FakeTerminal(InputStream.nullInputStream(), true, null);
    assertThat(run("session", "logs", "--raw", "demo", "build").exitCode()).isZero();
    assertThat(terminal.out()).isEqualTo(withBadByte);
  }

  @Test
  void attachReplaysForwardsTypingAndExitsWithTheSessionsCode() {
    // Ctrl-P followed by anything but Ctrl-Q is typed as both bytes.
    terminal =
        new FakeTerminal(
            new ByteArrayInputStream(new byte[] {'l', 's', 0x10, 'x', '\r'}),
            true,
            new Terminal.Size(80, 24));
    hearth.sessionAttach =
        stream -> {
          stream.out(1, "replayed\n");
          // A line is sent on Enter; the end of stdin stops the forwarding (it is no detach).
          assertThat(stream.awaitInputEnd()).containsExactly('l', 's', 0x10, 'x', '\n');
          return Optional.of(ended(9, 4));
        };

    CliRun.Result r = run("session", "attach", "demo", "build", "--from", "3");

    assertThat(r.exitCode()).isEqualTo(4);
    // Raw mode: the CLI adds the carriage returns and echoes what is typed.
    assertThat(new String(terminal.out(), StandardCharsets.UTF_8))
        .contains("replayed\r\n")
        .contains("ls^Px\r\n");
    assertThat(hearth.callOf("session.attach").arg(2)).isEqualTo(3L);
    assertThat(terminal.rawModeEntered()).isEqualTo(1);
    assertThat(terminal.rawModeRestored()).isEqualTo(1);
  }

  @Test
  void ctrlCInAttachSendsSigintToTheSession() {
    terminal =
        new FakeTerminal(
            new ByteArrayInputStream(new byte[] {'x', 0x03}), true, new Terminal.Size(80, 24));
    hearth.sessionKill = signal -> "INT";
    hearth.sessionAttach =
        stream -> {
          assertThat(stream.awaitInputEnd()).isEmpty();
          return Optional.of(ended(0, 130));
        };

    assertThat(run("session", "attach", "demo", "build").exitCode()).isEqualTo(130);
    FakeHearth.Call kill = hearth.callOf("session.kill");
    assertThat(kill.arg(2)).isEqualTo(Optional.of("INT"));
    assertThat(kill.arg(1)).isEqualTo("build");
  }

  @Test
  void ctrlPCtrlQDetachesLeavingTheSessionRunningAndRestoresTheTerminal() throws Exception {
    terminal =
        new FakeTerminal(
            new ByteArrayInputStream(new byte[] {'a', '\r', 'b', 0x10, 0x11, 'n', 'o', 't'}),
            true,
            new Terminal.Size(80, 24));
    CompletableFuture<byte[]> sent = new CompletableFuture<>();
    hearth.sessionAttach =
        stream -> {
          sent.complete(stream.awaitInputEnd());
          // The CLI closes the attachment after a detach: it ends without the session's end.
          return Optional.empty();
        };

    CliRun.Result r = run("session", "attach", "demo", "build");

    assertThat(r.exitCode()).isZero();
    assertThat(r.err()).isEqualTo("hearth: detached from session build; it keeps running\n");
    // The line not entered before the detach is dropped, as a terminal would.
    assertThat(Await.result(sent, "the input the attach sent")).containsExactly('a', '\n');
    assertThat(terminal.rawModeRestored()).isEqualTo(1);
    assertThat(terminal.raw()).isFalse();
  }
}
