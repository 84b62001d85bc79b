package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.BuildInfo;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Layout;
import dev.hearth.core.testing.Await;
import dev.hearth.daemon.Daemon;
import dev.hearth.daemon.Hearth;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CLI commands against a real daemon serving in this process. */
class DaemonCommandsTest {
  private Path dir;
  private Daemon daemon;
  private Thread serving;
  private String socket;

  @BeforeEach
  void startDaemon() throws IOException {
    dir = TempDirs.create();
    Config config =
        Config.defaults()
            .with(ConfigKey.STATE_DIR, dir.resolve("state").toString())
            .with(ConfigKey.RUNTIME_DIR, dir.resolve("run").toString())
            .with(ConfigKey.SOCKET_GROUP, "")
            .with(ConfigKey.WEB_LISTEN_ADDR, "")
            // On open the daemon removes hearth TAPs that no VM of its own uses beyond its pool:
            // a full pool keeps it off the TAPs of other daemons and tests on this host.
            .with(ConfigKey.TAP_POOL_SIZE, "64")
            .with(ConfigKey.DISK_PROVISIONER, "copy");
    socket = Layout.of(config).socket().toString();
    daemon = Daemon.open(config);
    serving =
        new Thread(
            () -> {
              try {
                daemon.serve();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "cli-test-daemon");
    serving.start();
  }

  @AfterEach
  void stopDaemon() throws InterruptedException {
    daemon.close();
    Await.join(serving, "the daemon's serve loop to end after close");
    TempDirs.delete(dir);
  }

  @Test
  void rpcPingPrintsTheResult() throws IOException {
    CliRun.Result r = CliRun.run("rpc", "daemon.ping", "--socket", socket);
    assertThat(r.err()).isEmpty();
    assertThat(r.exitCode()).isZero();
    assertThat(Json.parse(r.out()).path("pong").asBoolean()).isTrue();
  }

  @Test
  void rpcPrettyPrintsOnATerminalUnlessJsonIsAsked() {
    String pretty = CliRun.run(Map.of(), true, "rpc", "daemon.version", "--socket", socket).out();
    String compact =
        CliRun.run(Map.of(), true, "rpc", "daemon.version", "--socket", socket, "--json").out();
    assertThat(pretty.lines().count()).isGreaterThan(1);
    assertThat(compact.lines()).hasSize(1);
    assertThat(compact).contains("\"pid\":" + ProcessHandle.current().pid());
  }

  @Test
  void rpcUnknownMethodPrintsTheDaemonsMessageAndCode() {
    CliRun.Result r = CliRun.run("rpc", "vm.frobnicate", "--socket", socket);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines())
        .singleElement()
        .asString()
        .startsWith("hearth: ")
        .contains("unknown method 'vm.frobnicate'")
        .endsWith("(-32601)");
  }

  @Test
  void rpcWithParamsOfTheWrongShapeIsTheDaemonsError() {
    CliRun.Result r = CliRun.run("rpc", "daemon.ping", "[1, 2]", "--socket", socket);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).startsWith("hearth: ").contains("(-32602)");
  }

  @Test
  void rpcWithInvalidJsonIsAUsageErrorEvenWithADaemon() {
    CliRun.Result r = CliRun.run("rpc", "daemon.ping", "{\"a\":", "--socket", socket);
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
  }

  @Test
  void versionShowsClientAndDaemon() {
    CliRun.Result r = CliRun.run("version", "--socket", socket);
    assertThat(r.exitCode()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out())
        .contains("Client:")
        .contains("Daemon:")
        .contains(BuildInfo.version())
        .contains(Long.toString(ProcessHandle.current().pid()))
        .containsPattern("(?m)^ VMM: +(firecracker|qemu|none)")
        .containsPattern("(?m)^ Why: +\\S");
  }

  @Test
  void versionJsonIsOneObject() throws IOException {
    CliRun.Result r = CliRun.run("version", "--json", "--socket", socket);
    assertThat(r.exitCode()).isZero();
    JsonNode json = Json.parse(r.out());
    assertThat(json.path("client").path("protocol_version").asInt())
        .isEqualTo(Hearth.PROTOCOL_VERSION);
    assertThat(json.path("daemon").path("protocol_version").asInt())
        .isEqualTo(Hearth.PROTOCOL_VERSION);
    assertThat(json.path("daemon").path("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
    assertThat(json.path("daemon").path("java_version").asText())
        .startsWith(System.getProperty("java.version"));
    JsonNode vmm = json.path("daemon").path("vmm");
    assertThat(vmm.path("kind").asText()).isIn("firecracker", "qemu", "none");
    assertThat(vmm.has("path")).isTrue();
    assertThat(vmm.path("reason").asText()).isNotBlank();
  }

  @Test
  void vmListOfAFreshDaemonIsTheHeaderOnly() throws IOException {
    CliRun.Result r = CliRun.run("vm", "list", "--socket", socket);
    assertThat(r.err()).isEmpty();
    assertThat(r.exitCode()).isZero();
    assertThat(r.out().lines()).containsExactly("NAME  STATE  IP  IMAGE  VCPUS  MEMORY  AGE");

    CliRun.Result json = CliRun.run("vm", "list", "--json", "--socket", socket);
    assertThat(Json.parse(json.out()).isArray()).isTrue();
    assertThat(Json.parse(json.out())).isEmpty();
  }

  @Test
  void anUnknownVmIsNotFoundForEveryVerb() {
    for (String[] args :
        new String[][] {
          {"vm", "show", "ghost"},
          {"vm", "start", "ghost"},
          {"vm", "stop", "ghost", "--timeout", "1"},
          {"vm", "kill", "ghost"},
          {"vm", "delete", "ghost", "--force"},
          {"vm", "logs", "ghost"},
          {"vm", "logs", "ghost", "--follow"}
        }) {
      CliRun.Result r = CliRun.run(withSocket(args));
      assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(1);
      assertThat(r.out()).as(String.join(" ", args)).isEmpty();
      assertThat(r.err().lines())
          .as(String.join(" ", args))
          .singleElement()
          .asString()
          .startsWith("hearth: ")
          .contains("ghost")
          .endsWith("(not_found)");
    }
  }

  @Test
  void createFromAnUnknownImageIsNotFoundAndLeavesNoVmOrOperation() throws IOException {
    CliRun.Result r = CliRun.run(withSocket("vm", "create", "demo", "--image", "nosuch"));
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines())
        .singleElement()
        .asString()
        .contains("nosuch")
        .endsWith("(not_found)");
    assertThat(Json.parse(CliRun.run(withSocket("vm", "list", "--json")).out())).isEmpty();
    assertThat(Json.parse(CliRun.run(withSocket("op", "list", "--json")).out())).isEmpty();
  }

  @Test
  void opListOfAFreshDaemonIsTheHeaderOnly() {
    CliRun.Result r = CliRun.run(withSocket("op", "list"));
    assertThat(r.exitCode()).isZero();
    assertThat(r.out().lines()).containsExactly("ID  KIND  TARGET  STATE  STAGE  AGE");
  }

  @Test
  void anUnknownOperationIsNotFound() {
    for (String verb : new String[] {"show", "watch", "cancel"}) {
      CliRun.Result r = CliRun.run(withSocket("op", verb, "0123456789abcdef"));
      assertThat(r.exitCode()).as(verb).isEqualTo(1);
      assertThat(r.err().lines()).as(verb).singleElement().asString().endsWith("(not_found)");
    }
  }

  private String[] withSocket(String... args) {
    String[] all = Arrays.copyOf(args, args.length + 2);
    all[args.length] = "--socket";
    all[args.length + 1] = socket;
    return all;
  }

  @Test
  void doctorAsksTheDaemon() throws IOException {
    CliRun.Result r = CliRun.run("doctor", "--json", "--socket", socket);
    JsonNode json = Json.parse(r.out());
    assertThat(json.path("source").asText()).isEqualTo("daemon");
    assertThat(json.path("checks").isArray()).isTrue();
    assertThat(r.exitCode()).isEqualTo(json.path("failed").asBoolean() ? 1 : 0);
  }
}
