package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.rpc.RpcClient;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.daemon.internal.api.HearthClient;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session.* methods of a real daemon, whose guests are the local /bin/sh against a temp folder
 * per VM ({@link LocalSessionGuest}): the real scripts, the real RPC streams.
 */
@RequiresBinary({"sh", "setsid", "mkfifo"})
class SessionDaemonTest {
  @TempDir Path dir;
  private VmFixture fx;
  private LocalSessionGuest guest;

  @BeforeEach
  void setUp() {
    fx = new VmFixture(dir);
    guest = new LocalSessionGuest(dir.resolve("guests"));
    fx.start(seams());
    assertThat(fx.createAndWait("demo", "").path("state").asText()).isEqualTo("succeeded");
  }

  private Daemon.Seams seams() {
    return fx.seams().withGuestScripts(guest).withVmHook(guest);
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      guest.close();
    } finally {
      fx.close();
      VmAssertions.killLeftoverFakes(fx);
    }
  }

  private String start(String paramsJson) {
    return fx.call("session.start", paramsJson).path("id").asText();
  }

  private JsonNode list(String vm) {
    return fx.call("session.list", vm == null ? "{}" : "{\"vm\": \"" + vm + "\"}");
  }

  private JsonNode session(String id) {
    for (JsonNode s : list("demo").path("sessions")) {
      if (s.path("id").asText().equals(id)) {
        return s;
      }
    }
    throw new AssertionError("no session " + id + " in " + list("demo"));
  }

  private void write(String session, String text) {
    fx.call(
        "session.write",
        "{\"vm\": \"demo\", \"session\": \""
            + session
            + "\", \"data\": \""
            + Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8))
            + "\"}");
  }

  private void eof(String session) {
    fx.call("session.write", "{\"vm\": \"demo\", \"session\": \"" + session + "\", \"eof\": true}");
  }

  private JsonNode waitFor(String session) {
    try (HearthClient client = HearthClient.connect(fx.layout.socket())) {
      return VmFixture.parse(
          Rpc.call(client, "session.wait", "{\"vm\": \"demo\", \"session\": \"" + session + "\"}"));
    }
  }

  /** session.logs as a stream: the bytes, and the result. */
  private record Logs(String text, JsonNode result) {}

  private Logs logs(String session, long from, boolean follow) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (HearthClient client = HearthClient.connect(fx.layout.socket())) {
      RpcClient.Stream stream =
          client.openStream(
              "session.logs",
              "{\"vm\": \"demo\", \"session\": \""
                  + session
                  + "\", \"from\": "
                  + from
                  + ", \"follow\": "
                  + follow
                  + "}",
              (fd, data) -> out.write(data, 0, data.length));
      JsonNode result = VmFixture.parse(Rpc.result(stream, "session.logs of " + session));
      return new Logs(out.toString(StandardCharsets.UTF_8), result);
    }
  }

  private static void await(Await.Condition condition, String what) throws Exception {
    Await.until(what, condition);
  }

  @Test
  void startListWriteLogsWaitWithHostileArguments() throws Exception {
    String id =
        start(
            "{\"vm\": \"demo\", \"name\": \"echo\", \"argv\": [\"sh\", \"-c\","
                + " \"printf '%s|' \\\"$0\\\" \\\"$X\\\"; cat\", \"it's $HOME \\n é\"],"
                + " \"cwd\": \"/\", \"env\": {\"X\": \"a \\\"b\\\" `c`\"}}");
    JsonNode listed = session(id);
    assertThat(listed.path("name").asText()).isEqualTo("echo");
    assertThat(listed.path("state").asText()).isEqualTo("running");
    assertThat(listed.path("vm").asText()).isEqualTo("demo");
    assertThat(listed.path("argv").get(3).asText()).isEqualTo("it's $HOME \n é");
    assertThat(listed.path("env").path("X").asText()).isEqualTo("a \"b\" `c`");
    assertThat(listed.path("exit_code").isNull()).isTrue();

    write("echo", "line one\n");
    await(() -> logs(id, 0, false).text().endsWith("line one\n"), "the echo of the write");
    eof(id);
    JsonNode end = waitFor(id);
    assertThat(end.path("state").asText()).isEqualTo("exited");
    assertThat(end.path("exit_code").asInt()).isZero();

    Logs all = logs(id, 0, false);
    assertThat(all.text()).isEqualTo("it's $HOME \n é|a \"b\" `c`|line one\n");
    assertThat(all.result().path("next_offset").asLong())
        .isEqualTo(all.text().getBytes(StandardCharsets.UTF_8).length);
    assertThat(logs(id, 5, false).text()).isEqualTo("$HOME \n é|a \"b\" `c`|line one\n");
    assertThat(session(id).path("state").asText()).isEqualTo("exited");
    assertThat(session(id).path("exit_code").asInt()).isZero();
    // also over all running VMs
    assertThat(list(null).path("sessions")).hasSize(1);
  }

  @Test
  void twoAttachersFromDifferentOffsetsShareOutputAndInputThenSeeTheExitCode() throws Exception {
    String id =
        start(
            "{\"vm\": \"demo\", \"argv\": [\"sh\", \"-c\", \"echo ready; while read l; do echo"
                + " \\\"got:$l\\\"; done; exit 5\"]}");
    await(() -> logs(id, 0, false).text().equals("ready\n"), "the session's first line");

    Attacher first = attach(id, 0);
    Attacher second = attach(id, 6);
    first.stream.write("from-first\n".getBytes(StandardCharsets.UTF_8));
    await(() -> first.text().contains("got:from-first\n"), "the first attacher's echo");
    await(() -> second.text().contains("got:from-first\n"), "the echo reaching the second");
    second.stream.write("from-second\n".getBytes(StandardCharsets.UTF_8));
    await(() -> first.text().endsWith("got:from-second\n"), "the second attacher's echo");
    eof(id);

    JsonNode firstEnd = Await.result(first.result, Rpc.DEADLINE, "the first attacher's end");
    JsonNode secondEnd = Await.result(second.result, Rpc.DEADLINE, "the second attacher's end");
    assertThat(first.text()).isEqualTo("ready\ngot:from-first\ngot:from-second\n");
    assertThat(second.text()).isEqualTo("got:from-first\ngot:from-second\n");
    for (JsonNode end : List.of(firstEnd, secondEnd)) {
      assertThat(end.path("session").path("state").asText()).isEqualTo("exited");
      assertThat(end.path("session").path("exit_code").asInt()).isEqualTo(5);
      assertThat(end.path("next_offset").asLong()).isEqualTo(first.text().length());
    }
    first.client.close();
    second.client.close();
  }

  @Test
  void aDetachedAttacherLeavesTheSessionRunning() throws Exception {
    String id = start("{\"vm\": \"demo\", \"name\": \"keeper\", \"argv\": [\"cat\"]}");
    Attacher attacher = attach("keeper", 0);
    attacher.stream.write("typed\n".getBytes(StandardCharsets.UTF_8));
    await(() -> attacher.text().equals("typed\n"), "the echo");
    attacher.stream.close(); // detach: the connection closes mid-stream
    attacher.client.close();

    assertThat(session(id).path("state").asText()).isEqualTo("running");
    write(id, "later\n");
    eof(id);
    assertThat(waitFor(id).path("exit_code").asInt()).isZero();
    assertThat(logs(id, 0, false).text()).isEqualTo("typed\nlater\n");
  }

  @Test
  void concurrentWritesNeverInterleave() throws Exception {
    String id = start("{\"vm\": \"demo\", \"argv\": [\"cat\"]}");
    int block = 200_000; // far above PIPE_BUF: unguarded writers would interleave
    List<Future<Void>> writers = new ArrayList<>();
    for (char c : new char[] {'a', 'b', 'c'}) {
      String text = String.valueOf(c).repeat(block);
      writers.add(
          Await.async(
              "writer-" + c,
              () -> {
                try (HearthClient client = HearthClient.connect(fx.layout.socket())) {
                  for (int i = 0; i < 3; i++) {
                    Rpc.call(
                        client,
                        "session.write",
                        "{\"vm\": \"demo\", \"session\": \""
                            + id
                            + "\", \"data\": \""
                            + Base64.getEncoder()
                                .encodeToString(text.getBytes(StandardCharsets.US_ASCII))
                            + "\"}");
                  }
                }
                return null;
              }));
    }
    for (Future<Void> w : writers) {
      Await.result(w, Rpc.DEADLINE, "a writer's three writes");
    }
    eof(id);
    assertThat(waitFor(id).path("exit_code").asInt()).isZero();
    String log = logs(id, 0, false).text();
    assertThat(log).hasSize(9 * block);
    for (int i = 0; i < 9; i++) {
      String chunk = log.substring(i * block, (i + 1) * block);
      assertThat(chunk.chars().distinct().count()).as("block %d is one writer's", i).isEqualTo(1);
    }
  }

  @Test
  void killSendsTheSignalAndFollowEndsWithTheSession() throws Exception {
    String id =
        start(
            "{\"vm\": \"demo\", \"argv\": [\"sh\", \"-c\", \"trap 'echo bye; exit 9' USR1; echo"
                + " up; while :; do sleep 0.05; done\"]}");
    await(() -> logs(id, 0, false).text().equals("up\n"), "the session's first line");
    Future<Logs> follow = Await.async("follow", () -> logs(id, 0, true));
    JsonNode killed =
        fx.call(
            "session.kill",
            "{\"vm\": \"demo\", \"session\": \"" + id + "\", \"signal\": \"SIGUSR1\"}");
    assertThat(killed.path("signal").asText()).isEqualTo("USR1");
    Logs followed = Await.result(follow, Rpc.DEADLINE, "session.logs --follow to end");
    // The shell may report the sleep that the signal ended before its trap runs.
    assertThat(followed.text()).startsWith("up\n").endsWith("bye\n");
    assertThat(followed.result().path("session").path("exit_code").asInt()).isEqualTo(9);

    String term = start("{\"vm\": \"demo\", \"argv\": [\"sleep\", \"1000\"]}");
    fx.call("session.kill", "{\"vm\": \"demo\", \"session\": \"" + term + "\"}");
    assertThat(waitFor(term).path("exit_code").asInt()).isEqualTo(143);
  }

  @Test
  void sessionsAreRediscoveredAfterADaemonRestartAndStillTakeInput() throws Exception {
    String id =
        start(
            "{\"vm\": \"demo\", \"name\": \"survivor\", \"argv\": [\"sh\", \"-c\", \"read l; echo"
                + " \\\"got:$l\\\"; exit 3\"]}");
    fx.stopDaemon();
    int before = guest.scripts.size();
    fx.start(seams());
    // The daemon lists the running VM's sessions by itself, in the background.
    await(
        () -> guest.scripts.stream().skip(before).anyMatch(s -> s.contains("printf 'session %s")),
        "the rediscovery list");
    JsonNode listed = session(id);
    assertThat(listed.path("state").asText()).isEqualTo("running");
    write("survivor", "after restart\n");
    assertThat(waitFor("survivor").path("exit_code").asInt()).isEqualTo(3);
    assertThat(logs(id, 0, false).text()).isEqualTo("got:after restart\n");
  }

  @Test
  void aVmRestartLeavesItsSessionsLost() throws Exception {
    String id = start("{\"vm\": \"demo\", \"argv\": [\"sleep\", \"1000\"]}");
    fx.call("vm.stop", "{\"vm\": \"demo\", \"timeout_seconds\": 2}");
    assertThatThrownBy(() -> list("demo"))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("VM demo is stopped, not running")
        .extracting(e -> ((HearthException) e).kind().wireName())
        .isEqualTo("precondition_failed");
    fx.call("vm.start", "{\"vm\": \"demo\"}");

    JsonNode lost = session(id);
    assertThat(lost.path("state").asText()).isEqualTo("lost");
    assertThat(lost.path("exit_code").isNull()).isTrue();
    assertThat(waitFor(id).path("state").asText()).isEqualTo("lost");
    assertThatThrownBy(() -> write(id, "x"))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("the session is not running (it is lost)");
  }

  @Test
  void errorsNameTheValue() throws Exception {
    assertError(() -> list("nope"), "not_found", "no VM named 'nope'");
    assertError(() -> write("0123456789", "x"), "not_found", "no session '0123456789' in VM demo");
    start("{\"vm\": \"demo\", \"name\": \"taken\", \"argv\": [\"cat\"]}");
    assertError(
        () -> start("{\"vm\": \"demo\", \"name\": \"taken\", \"argv\": [\"cat\"]}"),
        "conflict",
        "the name is taken by running session");
    assertError(
        () -> start("{\"vm\": \"demo\", \"name\": \"Bad Name\", \"argv\": [\"cat\"]}"),
        "invalid",
        "invalid session name 'Bad Name'");
    assertError(
        () -> start("{\"vm\": \"demo\", \"argv\": [\"cat\"], \"cwd\": \"/no/such dir\"}"),
        "precondition_failed",
        "the working folder '/no/such dir' does not exist in the guest");
    assertError(
        () -> start("{\"vm\": \"demo\", \"argv\": [\"no-such-command\"]}"),
        "precondition_failed",
        "the command 'no-such-command' was not found");
    assertError(
        () ->
            fx.call(
                "session.kill", "{\"vm\": \"demo\", \"session\": \"taken\", \"signal\": \"BOOM\"}"),
        "invalid",
        "unknown signal 'BOOM'");
    assertError(
        () -> start("{\"vm\": \"demo\", \"argv\": []}"), "invalid", "must be a non-empty array");
  }

  @Test
  void deletingAVmForgetsItsSessions() throws Exception {
    start("{\"vm\": \"demo\", \"argv\": [\"sleep\", \"1000\"]}");
    fx.call("vm.delete", "{\"vm\": \"demo\", \"force\": true}");
    assertError(() -> list("demo"), "not_found", "no VM named 'demo'");
    assertThat(list(null).path("sessions")).isEmpty();
  }

  @Test
  void aSessionWithAHugeMetaFileIsReportedBrokenAndHidesNoOtherEvenAfterARestart()
      throws Exception {
    String kept = start("{\"vm\": \"demo\", \"name\": \"kept\", \"argv\": [\"sleep\", \"1000\"]}");
    String hostile = start("{\"vm\": \"demo\", \"argv\": [\"sleep\", \"1000\"]}");
    String vmId = fx.call("vm.show", "{\"vm\": \"demo\"}").path("id").asText();
    // What `truncate -s 64M meta` in the guest makes: the real metadata, then zeros (sparse).
    try (RandomAccessFile meta =
        new RandomAccessFile(
            dir.resolve("guests")
                .resolve(vmId)
                .resolve("sessions")
                .resolve(hostile)
                .resolve("meta")
                .toFile(),
            "rw")) {
      meta.setLength(64L * 1024 * 1024);
    }
    String reason =
        "session "
            + hostile
            + " of VM demo is broken: its meta file is larger than 256 KiB, the most the daemon"
            + " reads";

    for (JsonNode listed : List.of(list("demo"), list(null))) {
      assertThat(listed.path("sessions").findValuesAsText("id")).containsExactly(kept);
      assertThat(listed.path("errors")).hasSize(1);
      JsonNode error = listed.path("errors").get(0);
      assertThat(error.path("vm").asText()).isEqualTo("demo");
      assertThat(error.path("session").asText()).isEqualTo(hostile);
      assertThat(error.path("message").asText()).isEqualTo(reason);
    }

    // The rediscovery of a restarted daemon lists it too, and the daemon goes on.
    fx.stopDaemon();
    int before = guest.scripts.size();
    fx.start(seams());
    await(
        () -> guest.scripts.stream().skip(before).anyMatch(s -> s.contains("printf 'session %s")),
        "the rediscovery list");
    assertError(
        () -> fx.call("session.kill", "{\"vm\": \"demo\", \"session\": \"" + hostile + "\"}"),
        "host_error",
        reason);
    fx.call("session.kill", "{\"vm\": \"demo\", \"session\": \"kept\"}");
    assertThat(waitFor(kept).path("exit_code").asInt()).isEqualTo(143);
  }

  private static void assertError(Runnable call, String kind, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOf(HearthException.class)
        .hasMessageContaining(message)
        .extracting(e -> ((HearthException) e).kind().wireName())
        .isEqualTo(kind);
  }

  /** An attached client: its stream, what it received, and its result once the session ends. */
  private static final class Attacher {
    HearthClient client;
    RpcClient.Stream stream;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    Future<JsonNode> result;

    synchronized String text() {
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  private Attacher attach(String session, long from) {
    Attacher a = new Attacher();
    a.client = HearthClient.connect(fx.layout.socket());
    a.stream =
        a.client.openStream(
            "session.attach",
            "{\"vm\": \"demo\", \"session\": \"" + session + "\", \"from\": " + from + "}",
            (fd, data) -> {
              synchronized (a) {
                a.out.write(data, 0, data.length);
              }
            });
    a.result =
        Await.async(
            "attach", () -> VmFixture.parse(Rpc.result(a.stream, "session.attach of " + session)));
    return a;
  }
}
