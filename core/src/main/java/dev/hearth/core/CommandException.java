package dev.hearth.core;

import java.util.List;

/**
 * A host command failed: it exited non-zero, could not be started, or timed out. The message names
 * the command line, the exit code and the tail of its stderr.
 */
public class CommandException extends CoreException {
  private static final long serialVersionUID = 1L;

  /** Exit code used when the process never produced one (not started, killed on timeout). */
  public static final int NO_EXIT_CODE = -1;

  private final List<String> argv;
  private final int exitCode;
  private final String stderrTail;

  public CommandException(List<String> argv, int exitCode, String stderrTail, String reason) {
    this(argv, exitCode, stderrTail, reason, null);
  }

  public CommandException(
      List<String> argv, int exitCode, String stderrTail, String reason, Throwable cause) {
    super(format(argv, exitCode, stderrTail, reason), cause);
    this.argv = List.copyOf(argv);
    this.exitCode = exitCode;
    this.stderrTail = stderrTail == null ? "" : stderrTail;
  }

  public List<String> argv() {
    return argv;
  }

  /** The exit code, or {@link #NO_EXIT_CODE}. */
  public int exitCode() {
    return exitCode;
  }

  public String stderrTail() {
    return stderrTail;
  }

  private static String format(List<String> argv, int exitCode, String stderrTail, String reason) {
    StringBuilder sb = new StringBuilder("command `").append(Command.display(argv)).append("` ");
    sb.append(reason);
    if (exitCode != NO_EXIT_CODE) {
      sb.append(" (exit code ").append(exitCode).append(')');
    }
    if (stderrTail != null && !stderrTail.isBlank()) {
      sb.append(": ").append(stderrTail.strip());
    }
    return sb.toString();
  }
}
