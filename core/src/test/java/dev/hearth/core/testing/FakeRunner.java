package dev.hearth.core.testing;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.CommandTimeoutException;
import dev.hearth.core.LineListener;
import dev.hearth.core.Runner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A {@link Runner} that runs nothing: it records every command and answers from a script of rules,
 * matched by argv prefix, the most recently added rule first. Unmatched commands exit 0 with no
 * output.
 */
public final class FakeRunner implements Runner {
  private final List<Command> commands = new ArrayList<>();
  private final List<Rule> rules = new ArrayList<>();

  private final List<StreamRule> streamRules = new ArrayList<>();

  private record Rule(List<String> prefix, Function<Command, CommandResult> answer) {}

  private record StreamRule(List<String> prefix, StreamScript script) {}

  /** What a streamed command does: sends lines to the listener, then returns its result. */
  @FunctionalInterface
  public interface StreamScript {
    CommandResult play(Command command, LineListener listener) throws InterruptedException;
  }

  /** Answers commands whose argv starts with {@code prefix} with this exit code and output. */
  public synchronized FakeRunner on(
      List<String> prefix, int exitCode, String stdout, String stderr) {
    rules.add(0, new Rule(List.copyOf(prefix), c -> result(c, exitCode, stdout, stderr)));
    return this;
  }

  /** Makes commands whose argv starts with {@code prefix} time out. */
  public synchronized FakeRunner timeoutOn(List<String> prefix) {
    rules.add(
        0,
        new Rule(
            List.copyOf(prefix),
            c -> {
              throw new CommandTimeoutException(c.argv(), c.timeout(), "");
            }));
    return this;
  }

  /** Answers with a function of the command, for answers that depend on it. */
  public synchronized FakeRunner on(List<String> prefix, Function<Command, CommandResult> answer) {
    rules.add(0, new Rule(List.copyOf(prefix), answer));
    return this;
  }

  /**
   * Answers {@link #stream} of commands whose argv starts with {@code prefix} with these stdout
   * lines, then this exit code (and {@code stderr} as the result's stderr).
   */
  public synchronized FakeRunner onStream(
      List<String> prefix, List<String> stdoutLines, int exitCode, String stderr) {
    return onStream(
        prefix,
        (c, listener) -> {
          stdoutLines.forEach(l -> listener.onLine(LineListener.Source.STDOUT, l));
          return result(c, exitCode, "", stderr);
        });
  }

  /**
   * Answers {@link #stream} with a script of the command, e.g. one that sends some lines and then
   * blocks until interrupted, as a cancelled command does. Without a stream rule, {@code stream}
   * answers from the {@link #on} rules and delivers the answer's output afterwards.
   */
  public synchronized FakeRunner onStream(List<String> prefix, StreamScript script) {
    streamRules.add(0, new StreamRule(List.copyOf(prefix), script));
    return this;
  }

  @Override
  public CommandResult stream(Command command, LineListener listener) throws InterruptedException {
    StreamScript script;
    synchronized (this) {
      script =
          streamRules.stream()
              .filter(r -> startsWith(command.argv(), r.prefix()))
              .map(StreamRule::script)
              .findFirst()
              .orElse(null);
      if (script != null) {
        commands.add(command);
      }
    }
    if (script == null) {
      return Runner.super.stream(command, listener);
    }
    return script.play(command, listener);
  }

  @Override
  public CommandResult run(Command command) {
    Function<Command, CommandResult> answer;
    synchronized (this) {
      commands.add(command);
      answer =
          rules.stream()
              .filter(r -> startsWith(command.argv(), r.prefix()))
              .map(Rule::answer)
              .findFirst()
              .orElse(c -> result(c, 0, "", ""));
    }
    return answer.apply(command);
  }

  /** Every command run so far, in order. */
  public synchronized List<Command> commands() {
    return List.copyOf(commands);
  }

  /** The argv of every command run so far, in order. */
  public synchronized List<List<String>> argvs() {
    return commands.stream().map(Command::argv).toList();
  }

  public static CommandResult result(Command c, int exitCode, String stdout, String stderr) {
    return new CommandResult(
        c.argv(),
        exitCode,
        stdout.getBytes(StandardCharsets.UTF_8),
        stderr.getBytes(StandardCharsets.UTF_8),
        false,
        false,
        Duration.ZERO);
  }

  private static boolean startsWith(List<String> argv, List<String> prefix) {
    return argv.size() >= prefix.size() && argv.subList(0, prefix.size()).equals(prefix);
  }
}
