package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.rpc.RpcClient;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.daemon.internal.api.HearthClient;
import dev.hearth.daemon.internal.guest.NetnsSshd;
import dev.hearth.session.GuestTarget;
import dev.hearth.session.SessionLayout;
import dev.hearth.session.testing.SessionProcesses;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions through a real daemon socket and the real guest scripts over SSH (the session module's
 * {@code ExecGuestScripts} on GuestExec), with a real OpenSSH sshd in a network namespace standing
 * in for the guest of VM {@code demo}; session state goes to a temp folder.
 */
@RequiresRoot
@RequiresBinary({"sshd", "ssh-keygen", "ip", "unshare", "setsid", "mkfifo"})
class SessionHostTest {
  @TempDir static Path dir;
  private static VmFixture fx;
  private static NetnsSshd sshd;
  private static Path sessionRoot;

  @BeforeAll
  static void start() throws Exception {
    sessionRoot = dir.resolve("guest state/sessions");
    fx = new VmFixture(dir.resolve("daemon"));
    String[] host = {""};
    fx.start(
        fx.seams()
            .withGuestRoute(vm -> new GuestTarget(vm.name(), host[0], 22))
            .withSessionLayout(
                new SessionLayout(sessionRoot.toString(), "/proc/sys/kernel/random/boot_id")));
    sshd = NetnsSshd.start(dir.resolve("sshd"), Files.readString(fx.layout.sshPublicKey()).trim());
    host[0] = sshd.host();
    assertThat(fx.createAndWait("demo", "").path("state").asText()).isEqualTo("succeeded");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      SessionProcesses.killSessions(sessionRoot);
      if (fx != null) {
        fx.call("vm.delete", "{\"vm\": \"demo\", \"force\": true}");
        fx.close();
      }
    } finally {
      if (sshd != null) {
        sshd.close();
      }
    }
  }

  private static String start(String argvJson, String extra) {
    return fx.call("session.start", "{\"vm\": \"demo\", \"argv\": " + argvJson + extra + "}")
        .path("id")
        .asText();
  }

  private static void write(String session, String text) {
    fx.call(
        "session.write",
        "{\"vm\": \"demo\", \"session\": \""
            + session
            + "\", \"data\": \""
            + Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8))
            + "\"}");
  }

  private static JsonNode waitFor(String session) {
    try (HearthClient client = HearthClient.connect(fx.layout.socket())) {
      RpcClient.Stream stream =
          client.openStream(
              "session.wait",
              "{\"vm\": \"demo\", \"session\": \"" + session + "\"}",
              (fd, data) -> {});
      return VmFixture.parse(Rpc.result(stream, "session.wait of " + session));
    }
  }

  private static String logs(String session, long from) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (HearthClient client = HearthClient.connect(fx.layout.socket())) {
      RpcClient.Stream stream =
          client.openStream(
              "session.logs",
              "{\"vm\": \"demo\", \"session\": \"" + session + "\", \"from\": " + from + "}",
              (fd, data) -> out.writeBytes(data));
      Rpc.result(stream, "session.logs of " + session);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static void await(Await.Condition condition, String what) throws Exception {
    Await.until(what, condition);
  }

  /** An attached client: what it received, and its result once the session ends. */
  private static final class Attacher {
    HearthClient client;
    RpcClient.Stream stream;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    Future<JsonNode> result;

    synchronized String text() {
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  private static Attacher attach(String session, long from) {
    Attacher a = new Attacher();
    a.client = HearthClient.connect(fx.layout.socket());
    a.stream =
        a.client.openStream(
            "session.attach",
            "{\"vm\": \"demo\", \"session\": \"" + session + "\", \"from\": " + from + "}",
            (fd, data) -> {
              synchronized (a) {
                a.out.writeBytes(data);
              }
            });
    a.result =
        Await.async(
            "attach", () -> VmFixture.parse(Rpc.result(a.stream, "session.attach of " + session)));
    return a;
  }

  @Test
  void startWriteAttachAndWaitThroughTheGuestsSsh() throws Exception {
    String id =
        start(
            "[\"sh\", \"-c\", \"echo \\\"hi $WHO\\\"; read l; echo \\\"got:$l\\\"; exit 6\"]",
            ", \"name\": \"reader\", \"env\": {\"WHO\": \"it's me\"}, \"cwd\": \"/\"");
    await(() -> logs(id, 0).equals("hi it's me\n"), "the first line");
    Attacher attacher = attach("reader", 0);
    write("reader", "a line\n");
    JsonNode end = Await.result(attacher.result, Rpc.DEADLINE, "the attacher's end");
    attacher.client.close();

    assertThat(attacher.text()).isEqualTo("hi it's me\ngot:a line\n");
    assertThat(end.path("session").path("exit_code").asInt()).isEqualTo(6);
    assertThat(end.path("next_offset").asLong()).isEqualTo(attacher.text().length());
    assertThat(waitFor(id).path("exit_code").asInt()).isEqualTo(6);
  }

  @Test
  void twoAttachersFromDifferentOffsetsBothTypeAndSeeEverything() throws Exception {
    String id =
        start(
            "[\"sh\", \"-c\", \"echo ready; while read l; do echo \\\"<$l>\\\"; done; exit 2\"]",
            "");
    await(() -> logs(id, 0).equals("ready\n"), "the first line");
    Attacher first = attach(id, 0);
    Attacher second = attach(id, 3);
    first.stream.write("one\n".getBytes(StandardCharsets.UTF_8));
    await(() -> second.text().contains("<one>\n"), "the first attacher's line at the second");
    second.stream.write("two\n".getBytes(StandardCharsets.UTF_8));
    await(() -> first.text().contains("<two>\n"), "the second attacher's line at the first");
    fx.call("session.write", "{\"vm\": \"demo\", \"session\": \"" + id + "\", \"eof\": true}");

    assertThat(
            Await.result(first.result, Rpc.DEADLINE, "the first attacher's end")
                .path("session")
                .path("exit_code")
                .asInt())
        .isEqualTo(2);
    assertThat(
            Await.result(second.result, Rpc.DEADLINE, "the second attacher's end")
                .path("session")
                .path("exit_code")
                .asInt())
        .isEqualTo(2);
    assertThat(first.text()).isEqualTo("ready\n<one>\n<two>\n");
    assertThat(second.text()).isEqualTo("dy\n<one>\n<two>\n");
    first.client.close();
    second.client.close();
  }

  @Test
  void aSessionDoesNotCarryTheMarkOfTheCommandThatStartedIt() throws Exception {
    String id = start("[\"sh\", \"-c\", \"printf '%s' \\\"${HEARTH_EXEC_ID-unset}\\\"\"]", "");
    assertThat(waitFor(id).path("exit_code").asInt()).isZero();
    assertThat(logs(id, 0)).isEqualTo("unset");
  }

  @Test
  void killWithASignalReachesTheCommand() throws Exception {
    String id =
        start(
            "[\"sh\", \"-c\", \"trap 'echo hup; exit 11' HUP; echo up; while :; do sleep 0.05;"
                + " done\"]",
            "");
    await(() -> logs(id, 0).equals("up\n"), "the first line");
    assertThat(
            fx.call(
                    "session.kill",
                    "{\"vm\": \"demo\", \"session\": \"" + id + "\", \"signal\": \"HUP\"}")
                .path("signal")
                .asText())
        .isEqualTo("HUP");
    assertThat(waitFor(id).path("exit_code").asInt()).isEqualTo(11);
    assertThat(logs(id, 0)).startsWith("up\n").endsWith("hup\n");

    String sleeper = start("[\"sleep\", \"1000\"]", "");
    fx.call(
        "session.kill",
        "{\"vm\": \"demo\", \"session\": \"" + sleeper + "\", \"signal\": \"KILL\"}");
    assertThat(waitFor(sleeper).path("exit_code").asInt()).isEqualTo(137);
  }
}
