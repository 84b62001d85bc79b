package dev.hearth.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/**
 * Runs the CLI in this process as {@link Main} does (only the commands the arguments need), with
 * captured output, a given environment and terminal flag.
 */
final class CliRun {
  /** What one run produced. */
  record Result(int exitCode, String out, String err) {}

  private CliRun() {}

  static Result run(String... args) {
    return run(Map.of(), false, args);
  }

  static Result run(Map<String, String> env, boolean terminal, String... args) {
    return run(new Environment(env, terminal), args);
  }

  static Result run(Environment env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.commandLine(env, new PrintWriter(out, true), new PrintWriter(err, true), args)
            .execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
