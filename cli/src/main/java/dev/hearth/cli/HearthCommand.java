package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.BuildInfo;
import dev.hearth.core.Config;
import dev.hearth.core.Layout;
import dev.hearth.daemon.Hearth;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The top command: the global options, inherited by every subcommand, and what the subcommands
 * derive from them (config, socket, output style, the connection to hearth). Its subcommands and
 * the standard help options (-h, -V) are added by {@link CommandTree}.
 */
@Command(
    name = "hearth",
    scope = ScopeType.INHERIT,
    versionProvider = HearthCommand.ClientVersion.class,
    description = "Local Firecracker microVM manager.")
final class HearthCommand implements Callable<Integer> {
  static final String SOCKET_ENV = "HEARTH_SOCKET";
  static final String CONFIG_ENV = "HEARTH_CONFIG";

  @Spec CommandSpec spec;

  @Option(
      names = "--socket",
      paramLabel = "PATH",
      scope = ScopeType.INHERIT,
      description = "Daemon socket (default: $HEARTH_SOCKET, else <runtime_dir>/hearth.sock).")
  Path socket;

  @Option(
      names = "--config",
      paramLabel = "PATH",
      scope = ScopeType.INHERIT,
      description =
          "Config file (default: $HEARTH_CONFIG, else /etc/hearth/config.toml if present).")
  Path configFile;

  @Option(names = "--json", scope = ScopeType.INHERIT, description = "Stable machine output.")
  boolean json;

  @Option(
      names = {"-q", "--quiet"},
      scope = ScopeType.INHERIT,
      description = "Print only what was asked for: no notes, no passing checks.")
  boolean quiet;

  @Option(
      names = "--no-color",
      scope = ScopeType.INHERIT,
      description = "No colour (also when NO_COLOR is set or stdout is not a terminal).")
  boolean noColor;

  @Option(
      names = "--stacktrace",
      scope = ScopeType.INHERIT,
      description = "Print the stack trace of an error.")
  boolean stacktrace;

  private final Environment env;

  HearthCommand(Environment env) {
    this.env = env;
  }

  /** Without a subcommand: the usage, as a usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCode.USAGE;
  }

  Environment env() {
    return env;
  }

  /** The configuration named by --config or HEARTH_CONFIG, else the default file or defaults. */
  Config config() {
    Optional<Path> file =
        Optional.ofNullable(configFile).or(() -> env.get(CONFIG_ENV).map(Path::of));
    return Config.loadOrDefaults(file);
  }

  /** The daemon socket: --socket, else HEARTH_SOCKET, else the one in the runtime folder. */
  Path socket() {
    if (socket != null) {
      return socket;
    }
    return env.get(SOCKET_ENV).map(Path::of).orElseGet(() -> Layout.of(config()).socket());
  }

  /**
   * Connects to hearth (the daemon at {@link #socket()}) through the environment's connector.
   *
   * @throws dev.hearth.daemon.HearthException {@code unavailable} when no daemon answers, which the
   *     error handler turns into the "no daemon is running" line
   */
  Hearth hearth() {
    return env.hearths().connect(socket());
  }

  /** Now, by the environment's clock: ages in tables are measured from it. */
  Instant now() {
    return env.clock().now();
  }

  /**
   * How operations show their progress: nothing under --quiet or --json, redrawn in place where
   * colour is on (a terminal, no NO_COLOR, no --no-color), else plain lines.
   */
  ProgressDisplay.Mode progressMode() {
    if (quiet || json) {
      return ProgressDisplay.Mode.SILENT;
    }
    return env.colourAllowed() && !noColor ? ProgressDisplay.Mode.LIVE : ProgressDisplay.Mode.PLAIN;
  }

  /**
   * Asks hearth one question and prints the answer (in the JSON form the daemon answers with, its
   * {@code field}, or all of it when the field is ""): as JSON with --json, else as {@code view}
   * lays it out for people.
   */
  int query(HearthRequest<String> question, String field, BiFunction<JsonNode, Instant, Table> view)
      throws InterruptedException {
    JsonNode answer;
    try (Hearth hearth = hearth()) {
      answer = Json.node(question.apply(hearth));
    }
    JsonNode shown = field.isEmpty() ? answer : answer.path(field);
    if (json()) {
      printJson(shown);
    } else {
      view.apply(shown, now()).print(out(), style());
    }
    return 0;
  }

  /** Prints a JSON value on one line (--json output). */
  void printJson(JsonNode node) {
    out().println(Json.render(node, false));
    out().flush();
  }

  /** Prints a line unless --quiet. */
  void say(String line) {
    if (!quiet) {
      out().println(line);
      out().flush();
    }
  }

  boolean json() {
    return json;
  }

  boolean quiet() {
    return quiet;
  }

  boolean stacktrace() {
    return stacktrace;
  }

  Style style() {
    return new Style(env.colourAllowed() && !noColor);
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** For {@code --version}: the client's version and protocol. */
  static final class ClientVersion implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "hearth " + BuildInfo.version() + " (protocol " + Hearth.PROTOCOL_VERSION + ")"
      };
    }
  }
}
