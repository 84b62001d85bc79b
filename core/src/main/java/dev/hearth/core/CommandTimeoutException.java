package dev.hearth.core;

import java.time.Duration;
import java.util.List;

/** A host command ran past its timeout; it and every process it started were killed. */
public class CommandTimeoutException extends CommandException {
  private static final long serialVersionUID = 1L;

  private final Duration timeout;

  public CommandTimeoutException(List<String> argv, Duration timeout, String stderrTail) {
    super(argv, NO_EXIT_CODE, stderrTail, "timed out after " + Durations.format(timeout));
    this.timeout = timeout;
  }

  public Duration timeout() {
    return timeout;
  }
}
