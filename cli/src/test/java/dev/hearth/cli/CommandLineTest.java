package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.BuildInfo;
import dev.hearth.daemon.Hearth;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command tree without a daemon: usage errors, exit codes, messages, completion. */
class CommandLineTest {
  @TempDir Path dir;

  private String noDaemonLine(Path socket) {
    return "hearth: no daemon is running at "
        + socket
        + "; start one with `hearth daemon` (or `systemctl start hearth`)";
  }

  @Test
  void unknownOptionIsAUsageErrorOnOneLine() {
    CliRun.Result r = CliRun.run("version", "--bogus");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .startsWith("hearth: Unknown option: '--bogus'")
        .contains("hearth version --help");
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.out()).isEmpty();
  }

  @Test
  void unknownSubcommandIsAUsageError() {
    CliRun.Result r = CliRun.run("frobnicate");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("hearth: ").contains("frobnicate");
    assertThat(r.err().lines()).hasSize(1);
  }

  @Test
  void noSubcommandPrintsUsageAsAUsageError() {
    CliRun.Result r = CliRun.run();
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("Usage: hearth").contains("doctor").contains("completion");
  }

  @Test
  void helpAndVersionFlagsExitZero() {
    CliRun.Result help = CliRun.run("rpc", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out()).contains("Usage: hearth rpc").contains("--socket").contains("--json");

    CliRun.Result version = CliRun.run("--version");
    assertThat(version.exitCode()).isZero();
    assertThat(version.out()).contains(BuildInfo.version());
  }

  @Test
  void completionForAnUnknownShellNamesTheChoices() {
    CliRun.Result r = CliRun.run("completion", "fish");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("fish").contains("bash").contains("zsh");
  }

  @Test
  void bashCompletionCoversTheCommands() {
    CliRun.Result r = CliRun.run("completion", "bash");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out())
        .contains("complete -F")
        .contains("hearth")
        .contains("daemon")
        .contains("doctor")
        .contains("version")
        .contains("rpc")
        .contains("--state-dir")
        .contains("hearth_vm_create")
        .contains("--disk-size")
        .contains("hearth_vm_logs")
        .contains("hearth_op_watch");
  }

  @Test
  void zshCompletionEnablesBashCompletionFirst() {
    String bash = CliRun.run("completion", "bash").out();
    CliRun.Result r = CliRun.run("completion", "zsh");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("bashcompinit").endsWith(bash);
    assertThat(r.out().indexOf("bashcompinit")).isLessThan(r.out().indexOf("complete -F"));
  }

  @Test
  void versionWithoutADaemonPrintsTheClientThenSaysHowToStartOne() {
    Path socket = dir.resolve("hearth.sock");
    CliRun.Result r = CliRun.run("version", "--socket", socket.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).contains("Client:").contains(BuildInfo.version()).doesNotContain("Daemon:");
    assertThat(r.err()).isEqualTo(noDaemonLine(socket) + System.lineSeparator());
  }

  @Test
  void versionJsonWithoutADaemonHasANullDaemon() throws IOException {
    Path socket = dir.resolve("hearth.sock");
    CliRun.Result r = CliRun.run("--json", "version", "--socket", socket.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    JsonNode json = Json.parse(r.out());
    assertThat(json.path("client").path("version").asText()).isEqualTo(BuildInfo.version());
    assertThat(json.path("client").path("protocol_version").asInt())
        .isEqualTo(Hearth.PROTOCOL_VERSION);
    assertThat(json.get("daemon").isNull()).isTrue();
    assertThat(r.err().lines()).containsExactly(noDaemonLine(socket));
  }

  @Test
  void rpcWithoutADaemonSaysSoOnOneLine() {
    Path socket = dir.resolve("hearth.sock");
    CliRun.Result r = CliRun.run("rpc", "daemon.ping", "--socket", socket.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines()).containsExactly(noDaemonLine(socket));
  }

  @Test
  void stacktraceOnlyUnderTheFlag() {
    Path socket = dir.resolve("hearth.sock");
    CliRun.Result plain = CliRun.run("rpc", "daemon.ping", "--socket", socket.toString());
    assertThat(plain.err()).doesNotContain("\tat ");

    CliRun.Result traced =
        CliRun.run("rpc", "daemon.ping", "--socket", socket.toString(), "--stacktrace");
    assertThat(traced.exitCode()).isEqualTo(1);
    assertThat(traced.err().lines().findFirst()).contains(noDaemonLine(socket));
    assertThat(traced.err()).contains("DaemonUnavailableException").contains("\tat ");
  }

  @Test
  void globalOptionsWorkBeforeTheSubcommandToo() {
    Path socket = dir.resolve("before.sock");
    CliRun.Result r = CliRun.run("--socket", socket.toString(), "rpc", "daemon.ping");
    assertThat(r.err().lines()).containsExactly(noDaemonLine(socket));
  }

  @Test
  void rpcWithInvalidJsonIsAUsageError() {
    CliRun.Result r =
        CliRun.run("rpc", "daemon.ping", "{not json", "--socket", dir.resolve("s").toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("hearth: the params argument is not valid JSON");
    assertThat(r.err().lines()).hasSize(1);
  }

  @Test
  void socketComesFromTheEnvironmentWhenNotGiven() {
    Path socket = dir.resolve("env.sock");
    CliRun.Result r =
        CliRun.run(Map.of("HEARTH_SOCKET", socket.toString()), false, "rpc", "daemon.ping");
    assertThat(r.err().lines()).containsExactly(noDaemonLine(socket));
  }

  @Test
  void socketDefaultsToTheConfiguredRuntimeFolder() throws IOException {
    Path runtime = dir.resolve("run");
    Path config = dir.resolve("config.toml");
    Files.writeString(config, "runtime_dir = \"" + runtime + "\"\n");

    CliRun.Result byFlag = CliRun.run("rpc", "daemon.ping", "--config", config.toString());
    assertThat(byFlag.err().lines()).containsExactly(noDaemonLine(runtime.resolve("hearth.sock")));

    CliRun.Result byEnv =
        CliRun.run(Map.of("HEARTH_CONFIG", config.toString()), false, "rpc", "daemon.ping");
    assertThat(byEnv.err().lines()).containsExactly(noDaemonLine(runtime.resolve("hearth.sock")));
  }

  @Test
  void aBadConfigFileIsOneLineNamingIt() throws IOException {
    Path config = dir.resolve("config.toml");
    Files.writeString(config, "no_such_key = 1\n");
    CliRun.Result r = CliRun.run("rpc", "daemon.ping", "--config", config.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err().lines())
        .singleElement()
        .asString()
        .startsWith("hearth: config file " + config)
        .contains("no_such_key");
  }

  @Test
  void daemonRejectsABadLogLevelAsAUsageError() {
    CliRun.Result r =
        CliRun.run(
            "daemon",
            "--log-level",
            "loud",
            "--state-dir",
            dir.resolve("state").toString(),
            "--runtime-dir",
            dir.resolve("run").toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("hearth: ").contains("log_level").contains("loud");
    assertThat(Files.exists(dir.resolve("run"))).isFalse();
  }
}
