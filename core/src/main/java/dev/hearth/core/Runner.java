package dev.hearth.core;

/**
 * Runs host commands. The one way hearth starts a short-lived host program, so that tests can
 * replace it with a fake that records argv and scripts exit codes.
 */
public interface Runner {

  /**
   * Runs the command to completion and returns its result whatever the exit code.
   *
   * @throws CommandTimeoutException when it runs past its timeout (the whole process tree is killed)
   * @throws CommandException when it cannot be started
   * @throws InterruptedException when the calling thread is interrupted (the tree is killed too)
   */
  CommandResult run(Command command) throws InterruptedException;

  /** Runs the command and throws a {@link CommandException} unless it exits 0. */
  default CommandResult check(Command command) throws InterruptedException {
    return run(command).orThrow();
  }
}
