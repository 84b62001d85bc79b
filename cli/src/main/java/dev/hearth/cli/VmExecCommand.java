package dev.hearth.cli;

import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.Pty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hearth vm exec VM [--env K=V]... [--cwd DIR] [-t] -- CMD...}: runs a command in the guest,
 * its stdout and stderr to ours as they come, our stdin to it when stdin is not a terminal (or with
 * --tty), and exits with its exit code.
 */
@Command(
    name = "exec",
    description = {
      "Run a command in a running VM and exit with its exit code.",
      "stdout and stderr stay apart; stdin is forwarded when it is not a terminal"
          + " (echo x | hearth vm exec demo -- cat) or with --tty."
    })
final class VmExecCommand implements Callable<Integer> {
  static final String DEFAULT_TERM = Pty.DEFAULT_TERM;
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  @ParentCommand VmCommand vm;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "VM", description = "A VM name or a unique id prefix.")
  String target;

  @Parameters(
      index = "1..*",
      arity = "1..*",
      paramLabel = "CMD",
      description = "The command and its arguments (after --).")
  List<String> command = new ArrayList<>();

  @Option(
      names = {"-e", "--env"},
      paramLabel = "K=V",
      description = "Set an environment variable for the command (repeatable).")
  List<String> env = new ArrayList<>();

  @Option(
      names = {"-w", "--cwd"},
      paramLabel = "DIR",
      description = "Run the command in DIR.")
  String cwd;

  @Option(
      names = {"-t", "--tty"},
      description = "Give the command a terminal (our terminal goes into raw mode meanwhile).")
  boolean tty;

  @Override
  public Integer call() throws InterruptedException {
    Map<String, String> variables = new LinkedHashMap<>();
    for (String pair : env) {
      int equals = pair.indexOf('=');
      String name = equals < 0 ? pair : pair.substring(0, equals);
      if (equals < 0 || !ENV_NAME.matcher(name).matches()) {
        throw new ParameterException(
            spec.commandLine(),
            "--env takes NAME=VALUE with a NAME of letters, digits and '_', not starting with a"
                + " digit; got '"
                + pair
                + "'");
      }
      variables.put(name, pair.substring(equals + 1));
    }
    if (cwd != null && cwd.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "--cwd must not be empty");
    }
    HearthCommand hearth = vm.hearth;
    Terminal terminal = hearth.env().terminal();
    boolean interactive = terminal.stdinIsTerminal();
    ExecSpec exec =
        new ExecSpec(
            command,
            variables,
            Optional.ofNullable(cwd),
            tty ? Optional.of(pty(hearth, terminal)) : Optional.empty());
    StreamRelay.Options options =
        new StreamRelay.Options(tty || !interactive, tty && interactive, tty && interactive);
    try (Hearth api = hearth.hearth()) {
      return StreamRelay.run(out -> api.vms().start(target, exec, out), terminal, options);
    }
  }

  /** The terminal's size (80x24 when unknown) and TERM, for a guest terminal like ours. */
  static Pty pty(HearthCommand hearth, Terminal terminal) {
    Terminal.Size size = terminal.size().orElse(new Terminal.Size(80, 24));
    return new Pty(hearth.env().get("TERM").orElse(DEFAULT_TERM), size.cols(), size.rows());
  }
}
