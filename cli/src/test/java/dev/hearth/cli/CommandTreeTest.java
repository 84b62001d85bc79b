package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ScopeType;

/** A run builds the model of its own command path only, and answers as the whole tree would. */
class CommandTreeTest {
  @TempDir Path dir;

  private final Environment env =
      new Environment(Map.of(), false).withTerminal(new FakeTerminal(new byte[0]));

  /** The classes of every command model in the tree that {@link Main} builds for {@code args}. */
  private Set<Class<?>> builtFor(String... args) {
    return classes(Main.commandLine(env, null, null, args));
  }

  private static Set<Class<?>> classes(CommandLine cli) {
    Set<Class<?>> classes = new LinkedHashSet<>();
    classes.add(cli.getCommandSpec().userObject().getClass());
    // Aliases map to the same CommandLine: a set keeps each once.
    for (CommandLine sub : new LinkedHashSet<>(cli.getSubcommands().values())) {
      classes.addAll(classes(sub));
    }
    return classes;
  }

  private static Set<Class<?>> wholeTree() {
    Set<Class<?>> all = new HashSet<>();
    List<Class<?>> pending = new ArrayList<>(List.of(HearthCommand.class));
    while (!pending.isEmpty()) {
      Class<?> type = pending.remove(pending.size() - 1);
      all.add(type);
      pending.addAll(CommandTree.subcommands(type));
    }
    return all;
  }

  @Test
  void aCommandBuildsOnlyItsOwnPath() {
    String socket = dir.resolve("hearth.sock").toString();
    assertThat(builtFor("version")).containsExactly(HearthCommand.class, VersionCommand.class);
    assertThat(builtFor("--socket", socket, "--json", "version", "--stacktrace"))
        .containsExactly(HearthCommand.class, VersionCommand.class);
    assertThat(builtFor("vm", "--socket=" + socket, "ls", "-q"))
        .containsExactly(HearthCommand.class, VmCommand.class, VmCommand.ListVms.class);
    assertThat(builtFor("session", "attach", "vm1", "s1", "--from", "3"))
        .containsExactly(HearthCommand.class, SessionCommand.class, SessionAttachCommand.class);
    // The leaf's own arguments may be anything, command names included.
    assertThat(builtFor("vm", "exec", "vm1", "--", "hearth", "vm", "list", "--help"))
        .containsExactly(HearthCommand.class, VmCommand.class, VmExecCommand.class);
    assertThat(builtFor("rpc", "daemon.ping", "--help"))
        .containsExactly(HearthCommand.class, RpcCommand.class);
  }

  @Test
  void aGroupAloneBuildsItsWholeSubtreeForItsUsage() {
    Set<Class<?>> expected = new LinkedHashSet<>(List.of(HearthCommand.class, VmCommand.class));
    expected.addAll(CommandTree.subcommands(VmCommand.class));
    assertThat(builtFor("vm")).isEqualTo(expected);
    assertThat(builtFor("--quiet", "vm", "--no-color")).isEqualTo(expected);
    // An unknown verb: picocli suggests among all of vm's verbs.
    assertThat(builtFor("vm", "lst")).isEqualTo(wholeTree());
  }

  @Test
  void helpCompletionAndUsageErrorsBuildEverything() {
    Set<Class<?>> all = wholeTree();
    for (String[] args :
        List.of(
            new String[] {},
            new String[] {"--help"},
            new String[] {"-h", "version"},
            new String[] {"vm", "--help", "list"},
            new String[] {"-V"},
            new String[] {"completion", "bash"},
            new String[] {"frobnicate"},
            new String[] {"--bogus", "version"},
            new String[] {"-qV"},
            new String[] {"--socket", "version", "vm", "list"},
            new String[] {"vm", "--socket", "ls", "list"},
            new String[] {"@args.txt"},
            new String[] {"--", "version"})) {
      assertThat(builtFor(args)).as(String.join(" ", args)).isEqualTo(all);
    }
  }

  @Test
  void helpAndCompletionStillListEveryCommand() {
    CliRun.Result help = CliRun.run("--help");
    assertThat(help.exitCode()).isZero();
    for (Class<?> type : CommandTree.subcommands(HearthCommand.class)) {
      assertThat(help.out()).contains("  " + type.getAnnotation(Command.class).name() + " ");
    }

    CliRun.Result completion = CliRun.run("completion", "bash");
    assertThat(completion.exitCode()).isZero();
    for (String path : leafPaths(Main.commandLine(env, null, null), "hearth")) {
      assertThat(completion.out()).contains("function _picocli_" + path.replace(' ', '_') + "()");
    }
  }

  private static List<String> leafPaths(CommandLine cli, String prefix) {
    List<String> paths = new ArrayList<>();
    for (Map.Entry<String, CommandLine> sub : cli.getSubcommands().entrySet()) {
      if (!sub.getKey().equals(sub.getValue().getCommandName())) {
        continue; // an alias
      }
      String path = prefix + " " + sub.getKey();
      paths.add(path);
      paths.addAll(leafPaths(sub.getValue(), path));
    }
    return paths;
  }

  /** Arguments whose answers depend on the parsing: they must not change with a partial tree. */
  @Test
  void answersAreTheSameAsWithTheWholeTree() {
    String socket = dir.resolve("none.sock").toString();
    List<String> cases =
        List.of(
            "",
            "--help",
            "-h",
            "-V",
            "--json",
            "frobnicate",
            "vn list",
            "-qh version",
            "-- version",
            "--socket",
            "--socket vm list",
            "--socket version vm list",
            "--socket= version",
            "--json=true version",
            "-h vm list",
            "version --help",
            "version -V",
            "version --bogus",
            "version extra",
            "version vm",
            "version --socket " + socket,
            "--socket " + socket + " version",
            "--json version --socket " + socket,
            "-q --no-color --config " + dir.resolve("none.toml") + " version",
            "vm list --socket " + socket,
            "vm ls --socket " + socket + " --json",
            "vm --socket " + socket + " list",
            "vm --socket list ls",
            "vm --socket=ls list",
            "vm -- list",
            "vm -h list",
            "vm list -h",
            "vm list version",
            "vm Bogus",
            "VM list",
            "--Socket " + socket + " version",
            "vm",
            "image",
            "op",
            "session",
            "vm exec",
            "vm exec --socket " + socket + " vm1 -- true",
            "vm create --bogus",
            "image build",
            "session write --socket " + socket + " vm1",
            "op watch --socket " + socket + " 1",
            "rpc",
            "rpc daemon.ping {bad --socket " + socket,
            "completion",
            "completion fish",
            "completion zsh",
            "daemon --log-level loud --state-dir "
                + dir.resolve("s")
                + " --runtime-dir "
                + dir.resolve("r"));
    for (String line : cases) {
      String[] args = line.isEmpty() ? new String[0] : line.split(" ");
      assertThat(run(Main.commandLine(env, null, null, args), args))
          .as(line)
          .isEqualTo(run(Main.commandLine(env, null, null), args));
    }
  }

  private static CliRun.Result run(CommandLine cli, String[] args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new CliRun.Result(code, out.toString(), err.toString());
  }

  @Test
  void everyCommandIsInTheTreeAndNoneDeclaresItsSubcommands() {
    Set<Class<?>> annotated =
        new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.hearth.cli")
                .stream()
                .filter(c -> c.isAnnotatedWith(Command.class))
                .map(JavaClass::reflect)
                .collect(Collectors.toSet());
    assertThat(wholeTree()).containsExactlyInAnyOrderElementsOf(annotated);
    for (Class<?> type : annotated) {
      // Picocli would build those eagerly; CommandTree lists them instead.
      assertThat(type.getAnnotation(Command.class).subcommands()).as(type.getName()).isEmpty();
    }
  }

  /**
   * The arguments are read before the model exists, with the top command's options: every group
   * must accept exactly those, and no positional parameters.
   */
  @Test
  void groupsTakeOnlyTheInheritedOptions() {
    CommandLine whole = Main.commandLine(env, null, null);
    Set<String> top = whole.getCommandSpec().optionsMap().keySet();
    List<CommandSpec> groups = new ArrayList<>();
    collectGroups(whole, groups);
    assertThat(groups).hasSize(6);
    for (CommandSpec group : groups) {
      assertThat(group.positionalParameters()).as(group.qualifiedName()).isEmpty();
      assertThat(group.optionsMap().keySet()).as(group.qualifiedName()).isEqualTo(top);
      for (OptionSpec option : group.options()) {
        if (!option.usageHelp() && !option.versionHelp()) {
          assertThat(option.scopeType()).as(option.longestName()).isEqualTo(ScopeType.INHERIT);
        }
      }
    }
  }

  private static void collectGroups(CommandLine cli, List<CommandSpec> groups) {
    if (cli.getSubcommands().isEmpty()) {
      return;
    }
    groups.add(cli.getCommandSpec());
    for (CommandLine sub : new LinkedHashSet<>(cli.getSubcommands().values())) {
      collectGroups(sub, groups);
    }
  }
}
