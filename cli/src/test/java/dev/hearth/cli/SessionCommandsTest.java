package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.daemon.DaemonException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The session commands against a scripted daemon: arguments, requests, output, exit codes. */
class SessionCommandsTest {
  private final FakeDaemon daemon = new FakeDaemon();
  private FakeTerminal terminal = new FakeTerminal(new byte[0]);

  private CliRun.Result run(String... args) {
    Environment env =
        new Environment(Map.of(), false)
            .withClock(new FakeClock(Samples.NOW))
            .withConnector(daemon)
            .withTerminal(terminal);
    return CliRun.run(env, args);
  }

  private static String session(String id, String name, String state, String exit, String command) {
    return "{\"id\": \""
        + id
        + "\", \"name\": \""
        + name
        + "\", \"vm\": \"demo\", \"state\": \""
        + state
        + "\", \"exit_code\": "
        + exit
        + ", \"started_at\": \"2024-05-01T11:58:00Z\", \"command\": "
        + command
        + "}";
  }

  private static String decoded(JsonNode params) {
    return new String(
        Base64.getDecoder().decode(params.path("data").asText()), StandardCharsets.UTF_8);
  }

  @Test
  void startSendsTheExactArgvNameFolderAndEnvironmentAndPrintsTheId() {
    daemon.on("session.start", "{\"id\": \"0123456789\", \"name\": \"build\"}");

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
    JsonNode params = daemon.paramsOf("session.start");
    assertThat(params.path("vm").asText()).isEqualTo("demo");
    assertThat(params.path("name").asText()).isEqualTo("build");
    assertThat(params.path("cwd").asText()).isEqualTo("/srv/my app");
    assertThat(params.path("argv").toString())
        .isEqualTo("[\"sh\",\"-c\",\"echo \\\"$A\\\"; exit 3\",\"it's\"]");
    assertThat(params.path("env").toString()).isEqualTo("{\"A\":\"1=2\",\"B\":\"\"}");
  }

  @Test
  void startRefusesABadEnvAndAMissingCommand() {
    CliRun.Result bad = run("session", "start", "demo", "--env", "NOVALUE", "--", "true");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("--env takes NAME=VALUE; got 'NOVALUE'");
    CliRun.Result none = run("session", "start", "demo");
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).contains("give the command after --");
    assertThat(daemon.requests()).isEmpty();
  }

  @Test
  void listShowsATableWithHostileCommandsOnOneLine() {
    daemon.on(
        "session.list",
        "{\"sessions\": ["
            + session("0123456789", "build", "running", "null", "\"make 'a\\nb'\"")
            + ", "
            + session("abcdef0123", "", "exited", "3", "\"false\"")
            + "], \"errors\": []}");

    CliRun.Result r = run("session", "list", "demo");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out())
        .isEqualTo(
            "ID          NAME   STATE    EXIT  STARTED  COMMAND\n"
                + "0123456789  build  running  -     2m ago   make 'a\\nb'\n"
                + "abcdef0123  -      exited   3     2m ago   false\n");
    assertThat(daemon.paramsOf("session.list").path("vm").asText()).isEqualTo("demo");
  }

  @Test
  void listOfAllVmsShowsTheVmAndReportsVmsThatFailed() {
    daemon.on(
        "session.list",
        "{\"sessions\": ["
            + session("0123456789", "build", "lost", "null", "\"sleep 1\"")
            + "], \"errors\": [{\"vm\": \"other\", \"message\": \"cannot reach it\"}]}");

    CliRun.Result r = run("session", "ls");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).startsWith("ID          NAME   VM    STATE").contains("demo  lost");
    assertThat(r.err())
        .isEqualTo("hearth: cannot list the sessions of VM other: cannot reach it\n");

    CliRun.Result json = run("--json", "session", "list");
    assertThat(FakeDaemon.json(json.out()).get(0).path("state").asText()).isEqualTo("lost");
  }

  @Test
  void writeSendsTextWithANewlineOrStdinInChunksThenEof() {
    daemon.on("session.write", "{\"written\": 1, \"eof\": false}");

    assertThat(run("session", "write", "demo", "build", "hello", "wörld").exitCode()).isZero();
    assertThat(decoded(daemon.requests().get(0).params())).isEqualTo("hello wörld\n");

    byte[] big = new byte[SessionCommand.WRITE_CHUNK_BYTES + 10];
    java.util.Arrays.fill(big, (byte) 'x');
    terminal = new FakeTerminal(big);
    CliRun.Result r = run("session", "write", "demo", "build", "--stdin", "--eof");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).isEqualTo("wrote " + big.length + " bytes and closed the input\n");
    List<FakeDaemon.Request> writes = daemon.requests().subList(1, 4);
    assertThat(Base64.getDecoder().decode(writes.get(0).params().path("data").asText()))
        .hasSize(SessionCommand.WRITE_CHUNK_BYTES);
    assertThat(Base64.getDecoder().decode(writes.get(1).params().path("data").asText()))
        .hasSize(10);
    assertThat(writes.get(2).params().path("eof").asBoolean()).isTrue();
    assertThat(writes.get(2).params().has("data")).isFalse();

    assertThat(run("session", "write", "demo", "build", "-n", "x").exitCode()).isZero();
    assertThat(decoded(daemon.requests().get(4).params())).isEqualTo("x");
    assertThat(run("session", "write", "demo", "build").exitCode()).isEqualTo(2);
  }

  @Test
  void killSendsTheSignal() {
    daemon.on("session.kill", "{\"signal\": \"INT\"}");
    CliRun.Result r = run("session", "kill", "demo", "build", "--signal", "int");
    assertThat(r.out()).isEqualTo("sent INT to session build\n");
    assertThat(daemon.paramsOf("session.kill").path("signal").asText()).isEqualTo("int");
  }

  @Test
  void waitExitsWithTheSessionsCodeAndALostSessionIsAnError() {
    daemon.onStream(
        "session.wait",
        (params, stream) -> FakeDaemon.json("{\"state\": \"exited\", \"exit_code\": 7}"));
    assertThat(run("session", "wait", "demo", "build").exitCode()).isEqualTo(7);

    FakeDaemon lost = new FakeDaemon();
    lost.onStream(
        "session.wait",
        (params, stream) -> FakeDaemon.json("{\"state\": \"lost\", \"exit_code\": null}"));
    CliRun.Result r =
        CliRun.run(
            new Environment(Map.of(), false).withConnector(lost).withTerminal(terminal),
            "session",
            "wait",
            "demo",
            "build");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).startsWith("hearth: session build was lost");
  }

  @Test
  void logsStreamsTheOutputFromAnOffset() {
    daemon.onStream(
        "session.logs",
        (params, stream) -> {
          stream.out(1, "llo\n");
          return FakeDaemon.json("{\"next_offset\": 6}");
        });
    CliRun.Result r = run("session", "logs", "demo", "build", "--from", "2", "-f");
    assertThat(r.exitCode()).isZero();
    assertThat(new String(terminal.out(), StandardCharsets.UTF_8)).isEqualTo("llo\n");
    JsonNode params = daemon.paramsOf("session.logs");
    assertThat(params.path("from").asLong()).isEqualTo(2);
    assertThat(params.path("follow").asBoolean()).isTrue();
    assertThat(run("session", "logs", "demo", "build", "--from", "-1").exitCode()).isEqualTo(2);
  }

  @Test
  void attachReplaysForwardsTypingAndExitsWithTheSessionsCode() {
    // Ctrl-P followed by anything but Ctrl-Q is typed as both bytes.
    terminal =
        new FakeTerminal(
            new ByteArrayInputStream(new byte[] {'l', 's', 0x10, 'x', '\r'}),
            true,
            new Terminal.Size(80, 24));
    daemon.onStream(
        "session.attach",
        (params, stream) -> {
          stream.out(1, "replayed\n");
          // A line is sent on Enter; the end of stdin stops the forwarding (it is no detach).
          assertThat(stream.awaitInputEnd()).containsExactly('l', 's', 0x10, 'x', '\n');
          return FakeDaemon.json(
              "{\"next_offset\": 9, \"session\": {\"state\": \"exited\", \"exit_code\": 4}}");
        });

    CliRun.Result r = run("session", "attach", "demo", "build", "--from", "3");

    assertThat(r.exitCode()).isEqualTo(4);
    // Raw mode: the CLI adds the carriage returns and echoes what is typed.
    assertThat(new String(terminal.out(), StandardCharsets.UTF_8))
        .contains("replayed\r\n")
        .contains("ls^Px\r\n");
    assertThat(daemon.paramsOf("session.attach").path("from").asLong()).isEqualTo(3);
    assertThat(terminal.rawModeEntered()).isEqualTo(1);
    assertThat(terminal.rawModeRestored()).isEqualTo(1);
  }

  @Test
  void ctrlCInAttachSendsSigintToTheSession() {
    terminal =
        new FakeTerminal(
            new ByteArrayInputStream(new byte[] {'x', 0x03}), true, new Terminal.Size(80, 24));
    daemon.on("session.kill", "{\"signal\": \"INT\"}");
    daemon.onStream(
        "session.attach",
        (params, stream) -> {
          assertThat(stream.awaitInputEnd()).isEmpty();
          return FakeDaemon.json(
              "{\"next_offset\": 0, \"session\": {\"state\": \"exited\", \"exit_code\": 130}}");
        });

    assertThat(run("session", "attach", "demo", "build").exitCode()).isEqualTo(130);
    assertThat(daemon.paramsOf("session.kill").path("signal").asText()).isEqualTo("INT");
    assertThat(daemon.paramsOf("session.kill").path("session").asText()).isEqualTo("build");
  }

  @Test
  void ctrlPCtrlQDetachesLeavingTheSessionRunningAndRestoresTheTerminal() throws Exception {
    terminal =
        new FakeTerminal(
            new ByteArrayInputStream(new byte[] {'a', '\r', 'b', 0x10, 0x11, 'n', 'o', 't'}),
            true,
            new Terminal.Size(80, 24));
    java.util.concurrent.CompletableFuture<byte[]> sent =
        new java.util.concurrent.CompletableFuture<>();
    daemon.onStream(
        "session.attach",
        (params, stream) -> {
          sent.complete(stream.awaitInputEnd());
          // The CLI closes the connection after a detach: the result never comes.
          throw new DaemonException("the connection was closed");
        });

    CliRun.Result r = run("session", "attach", "demo", "build");

    assertThat(r.exitCode()).isZero();
    assertThat(r.err()).isEqualTo("hearth: detached from session build; it keeps running\n");
    // The line not entered before the detach is dropped, as a terminal would.
    assertThat(Await.result(sent, "the input the attach sent")).containsExactly('a', '\n');
    assertThat(terminal.rawModeRestored()).isEqualTo(1);
    assertThat(terminal.raw()).isFalse();
  }
}
