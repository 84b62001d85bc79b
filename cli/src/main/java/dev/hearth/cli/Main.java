package dev.hearth.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;

/** The {@code hearth} command: builds the command tree and exits with its code. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // System.console() is non-null only when stdin and stdout are terminals: close enough to
    // "a person is reading" for colour and pretty-printing.
    Environment env = new Environment(System.getenv(), System.console() != null);
    CommandLine cli = commandLine(env, null, null);
    System.exit(cli.execute(args));
  }

  /**
   * The whole command tree. {@code out} and {@code err} replace stdout and stderr when not null,
   * which is how tests capture what a command prints.
   */
  static CommandLine commandLine(Environment env, PrintWriter out, PrintWriter err) {
    HearthCommand root = new HearthCommand(env);
    CommandLine cli = new CommandLine(root);
    if (out != null) {
      cli.setOut(out);
    }
    if (err != null) {
      cli.setErr(err);
    }
    ErrorHandler errors = new ErrorHandler(root);
    cli.setExecutionExceptionHandler(errors);
    cli.setParameterExceptionHandler(errors);
    cli.setColorScheme(
        CommandLine.Help.defaultColorScheme(env.colourAllowed() ? Ansi.ON : Ansi.OFF));
    return cli;
  }
}
