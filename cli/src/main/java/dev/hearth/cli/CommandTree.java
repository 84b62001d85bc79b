package dev.hearth.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ScopeType;

/**
 * hearth's command tree, and the part of picocli's model of it that one run builds.
 *
 * <p>Picocli builds a command's model by reflection over its class, and building all of them was
 * most of a short command's start-up (ARCHITECTURE.md, "CLI and distribution"). So the groups list
 * their subcommands here rather than in {@code @Command(subcommands = ...)}, which picocli builds
 * eagerly, and a run builds only the commands its arguments name: the path from the top to a leaf
 * (`hearth vm list` builds hearth, vm and list), or to a group with all of that group's subtree
 * (`hearth vm` prints vm's usage, which lists its verbs). Whenever the arguments could mean
 * anything else to picocli (help or version flags on a group, an unknown option or command, an
 * option value that is also a command name, an argument file, {@code --}) and for the commands that
 * {@link NeedsWholeTree}, the whole tree is built, so picocli answers exactly as it would with
 * every command present. Options at a group's level are the top command's inherited ones (a group
 * declares none of its own), which is how the arguments are read before the model exists.
 */
final class CommandTree {
  /** A command that needs the whole tree to run (e.g. completion scripts list every command). */
  interface NeedsWholeTree {}

  /** Each group's subcommands, in the order its usage lists them. */
  private static final Map<Class<?>, List<Class<?>>> SUBCOMMANDS =
      Map.of(
          HearthCommand.class,
          List.of(
              DaemonCommand.class,
              VersionCommand.class,
              DoctorCommand.class,
              VmCommand.class,
              ImageCommand.class,
              OpCommand.class,
              SessionCommand.class,
              WorkspaceCommand.class,
              RpcCommand.class,
              UiCommand.class,
              CompletionCommand.class),
          VmCommand.class,
          List.of(
              VmCreateCommand.class,
              VmCommand.ListVms.class,
              VmCommand.Show.class,
              VmCommand.Start.class,
              VmCommand.Stop.class,
              VmCommand.Kill.class,
              VmCommand.Delete.class,
              VmEgressCommand.class,
              VmLogsCommand.class,
              VmExecCommand.class,
              VmSshCommand.class,
              VmCopyCommand.class),
          ImageCommand.class,
          List.of(
              ImageBuildCommand.class,
              ImageCommand.Register.class,
              ImageCommand.ListImages.class,
              ImageCommand.Show.class,
              ImageCommand.Promote.class,
              ImageCommand.Delete.class),
          OpCommand.class,
          List.of(
              OpCommand.ListOps.class,
              OpCommand.Show.class,
              OpCommand.Watch.class,
              OpCommand.Cancel.class),
          SessionCommand.class,
          List.of(
              SessionCommand.Start.class,
              SessionCommand.ListSessions.class,
              SessionAttachCommand.class,
              SessionCommand.Write.class,
              SessionCommand.Kill.class,
              SessionCommand.Wait.class,
              SessionCommand.Logs.class),
          WorkspaceCommand.class,
          List.of(
              WorkspaceCommand.Import.class,
              WorkspaceCommand.ListWorkspaces.class,
              WorkspaceCommand.Status.class,
              WorkspaceCommand.Export.class));

  private CommandTree() {}

  /** The subcommands of {@code group}, in usage order; none for a leaf. */
  static List<Class<?>> subcommands(Class<?> group) {
    return SUBCOMMANDS.getOrDefault(group, List.of());
  }

  /** The whole tree under {@code top} (an instance of {@link HearthCommand}). */
  static CommandLine whole(Object top) {
    CommandLine cli = new CommandLine(top);
    attach(cli, top.getClass(), List.of(), 0);
    return withHelpOptions(cli);
  }

  /** The part of the tree under {@code top} that a run with {@code args} needs. */
  static CommandLine forArgs(Object top, String[] args) {
    CommandLine cli = new CommandLine(top);
    List<Class<?>> path = path(cli.getCommandSpec(), args);
    attach(cli, top.getClass(), path, 0);
    return withHelpOptions(cli);
  }

  /**
   * Adds -h/--help and -V/--version to the top command, and so to every subcommand: after the
   * subcommands, as picocli does for {@code @Command(mixinStandardHelpOptions = true)} with
   * annotated subcommands, which keeps every command's options in the order they always had (it
   * shows in completion scripts).
   */
  private static CommandLine withHelpOptions(CommandLine cli) {
    cli.getCommandSpec().mixinStandardHelpOptions(true);
    return cli;
  }

  /**
   * Adds the subcommands of {@code type} under {@code parent}: the one {@code path} names at this
   * depth, or all of them past its end. Each is complete before it is added, as picocli does for
   * {@code @Command(subcommands = ...)}; adding passes the inherited options down.
   */
  private static void attach(CommandLine parent, Class<?> type, List<Class<?>> path, int depth) {
    for (Class<?> child : subcommands(type)) {
      if (depth < path.size() && child != path.get(depth)) {
        continue;
      }
      CommandLine sub = new CommandLine(child);
      attach(sub, child, path, depth + 1);
      parent.addSubcommand(sub);
    }
  }

  /**
   * The commands {@code args} name, from below the top: ends at a leaf, or at a group whose whole
   * subtree is needed; empty when the whole tree is needed. {@code top} is the top command's model
   * without subcommands: its options are the only ones allowed above a leaf.
   */
  static List<Class<?>> path(CommandSpec top, String[] args) {
    List<Class<?>> path = new ArrayList<>();
    Class<?> group = top.userObject().getClass();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.startsWith("@") || arg.equals("--")) {
        return List.of(); // an argument file or the end of options: picocli reads the rest
      }
      if (arg.startsWith("-")) {
        int equals = arg.indexOf('=');
        String name = equals > 0 ? arg.substring(0, equals) : arg;
        OptionSpec option = top.optionsMap().get(name);
        if (option == null
            || option.usageHelp()
            || option.versionHelp()
            || (!path.isEmpty() && option.scopeType() != ScopeType.INHERIT)) {
          return List.of(); // help, --version, or a usage error: they need the whole tree
        }
        if (option.arity().max() == 0 && equals < 0) {
          continue; // a flag
        }
        if (option.arity().min() != 1 || option.arity().max() != 1) {
          return List.of();
        }
        String value;
        if (equals > 0) {
          value = arg.substring(equals + 1);
        } else {
          value = i + 1 < args.length ? args[++i] : null;
        }
        // Picocli refuses a value that is an option or a command name here, naming the others.
        if (value == null || value.startsWith("-") || subcommand(group, value) != null) {
          return List.of();
        }
        continue;
      }
      Class<?> command = subcommand(group, arg);
      if (command == null || NeedsWholeTree.class.isAssignableFrom(command)) {
        return List.of(); // a usage error (with suggestions among all commands), or completion
      }
      path.add(command);
      if (subcommands(command).isEmpty()) {
        return path; // a leaf: the rest of the arguments are its own
      }
      group = command;
    }
    return path;
  }

  /** The subcommand of {@code group} that {@code name} names (or one of its aliases), or null. */
  private static Class<?> subcommand(Class<?> group, String name) {
    for (Class<?> child : subcommands(group)) {
      Command command = child.getAnnotation(Command.class);
      if (command.name().equals(name) || List.of(command.aliases()).contains(name)) {
        return child;
      }
    }
    return null;
  }
}
