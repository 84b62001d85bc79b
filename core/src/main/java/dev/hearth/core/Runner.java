package dev.hearth.core;

/**
 * Runs host commands. The one way hearth starts a short-lived host program, so that tests can
 * replace it with a fake that records argv and scripts exit codes.
 */
public interface Runner {

  /**
   * Runs the command to completion and returns its result whatever the exit code.
   *
   * @throws CommandTimeoutException when it runs past its timeout (the whole process tree is
   *     killed)
   * @throws CommandException when it cannot be started
   * @throws InterruptedException when the calling thread is interrupted (the tree is killed too)
   */
  CommandResult run(Command command) throws InterruptedException;

  /**
   * Runs a long command and hands its output to {@code listener} line by line while it runs,
   * instead of keeping it: the result carries no stdout and only the tail of stderr (for {@link
   * CommandResult#orThrow}). Timeout and interrupt kill the whole process tree as in {@link #run}.
   * If the listener throws, the tree is killed and the exception propagates.
   *
   * <p>This default runs the command to completion, then delivers its stdout lines and its stderr
   * lines; {@link ProcessRunner} delivers them as they come.
   */
  default CommandResult stream(Command command, LineListener listener) throws InterruptedException {
    CommandResult result = run(command);
    result.stdout().lines().forEach(l -> listener.onLine(LineListener.Source.STDOUT, l));
    result.stderr().lines().forEach(l -> listener.onLine(LineListener.Source.STDERR, l));
    return result;
  }

  /** Runs the command and throws a {@link CommandException} unless it exits 0. */
  default CommandResult check(Command command) throws InterruptedException {
    return run(command).orThrow();
  }
}
