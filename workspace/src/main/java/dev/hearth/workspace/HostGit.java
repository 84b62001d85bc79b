package dev.hearth.workspace;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Posix;
import dev.hearth.core.Printable;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * git on the host, run so that reading a repository never writes to it: no optional locks (so no
 * index stat refresh), no fsmonitor daemon, no automatic gc or maintenance, no prompt.
 */
public final class HostGit {
  /** How long one git command may take: bundles of large repositories take a while. */
  static final Duration TIMEOUT = Duration.ofMinutes(30);

  /** Most bytes of a git command's output kept: a large index listed with {@code ls-files}. */
  static final int OUTPUT_CAP = 256 << 20;

  private static final List<String> SAFE_CONFIG =
      List.of(
          "-c",
          "core.fsmonitor=false",
          "-c",
          "core.untrackedCache=false",
          "-c",
          "gc.auto=0",
          "-c",
          "maintenance.auto=false",
          "-c",
          "advice.detachedHead=false");

  private final Runner runner;

  public HostGit(Runner runner) {
    this.runner = runner;
  }

  /** git run by this process, as its user. */
  public static HostGit system() {
    return new HostGit(new ProcessRunner(Posix.system(), Clock.system()));
  }

  /** Runs {@code git ARGS} in {@code cwd} with {@code env} added; the result whatever the exit. */
  CommandResult run(Path cwd, Map<String, String> env, List<String> args)
      throws InterruptedException {
    return run(cwd, env, args, null);
  }

  /** As {@link #run(Path, Map, List)}, with {@code stdin} (none when null). */
  CommandResult run(Path cwd, Map<String, String> env, List<String> args, byte[] stdin)
      throws InterruptedException {
    List<String> argv = new ArrayList<>();
    argv.add("git");
    argv.addAll(SAFE_CONFIG);
    argv.addAll(args);
    Command.Builder command =
        Command.builder("git")
            .args(argv.subList(1, argv.size()))
            .cwd(cwd)
            .timeout(TIMEOUT)
            .outputCap(OUTPUT_CAP);
    command.env("GIT_OPTIONAL_LOCKS", "0");
    command.env("GIT_TERMINAL_PROMPT", "0");
    command.env("LC_ALL", "C");
    env.forEach(command::env);
    if (stdin != null) {
      command.stdin(stdin);
    }
    return runner.run(command.build());
  }

  /** As {@link #run}, and its stdout with the last newline removed; a failure throws. */
  String check(Path cwd, Map<String, String> env, List<String> args) throws InterruptedException {
    return check(cwd, env, args, null);
  }

  String check(Path cwd, Map<String, String> env, List<String> args, byte[] stdin)
      throws InterruptedException {
    CommandResult result = run(cwd, env, args, stdin);
    if (!result.ok()) {
      throw failure(result, cwd);
    }
    if (result.stdoutTruncated()) {
      throw new HostGitException(
          "'"
              + Printable.of(Command.display(result.argv()))
              + "' wrote more than the "
              + (OUTPUT_CAP >> 20)
              + " MiB hearth reads");
    }
    String out = result.stdout();
    return out.endsWith("\n") ? out.substring(0, out.length() - 1) : out;
  }

  String check(Path cwd, String... args) throws InterruptedException {
    return check(cwd, Map.of(), List.of(args));
  }

  static HostGitException failure(CommandResult result, Path cwd) {
    String stderr = result.stderr().strip();
    return new HostGitException(
        "'"
            + Printable.of(Command.display(result.argv()))
            + "' in "
            + Printable.of(cwd.toString())
            + " exited "
            + result.exitCode()
            + (stderr.isEmpty() ? "" : ": " + Printable.of(stderr)));
  }
}
