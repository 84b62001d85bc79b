package dev.hearth.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * What a finished command left: its exit code and the captured output. Stdout keeps its first
 * {@link Command#outputCap()} bytes, stderr its last (the end of stderr is what explains a
 * failure).
 */
public record CommandResult(
    List<String> argv,
    int exitCode,
    byte[] stdoutBytes,
    byte[] stderrBytes,
    boolean stdoutTruncated,
    boolean stderrTruncated,
    Duration elapsed) {

  /** How much of stderr a {@link CommandException} message quotes. */
  static final int STDERR_TAIL_CHARS = 2048;

  public CommandResult {
    argv = List.copyOf(argv);
    stdoutBytes = stdoutBytes.clone();
    stderrBytes = stderrBytes.clone();
  }

  /** The kept stdout bytes (a copy). */
  @Override
  public byte[] stdoutBytes() {
    return stdoutBytes.clone();
  }

  /** The kept stderr bytes (a copy). */
  @Override
  public byte[] stderrBytes() {
    return stderrBytes.clone();
  }

  public String stdout() {
    return new String(stdoutBytes, StandardCharsets.UTF_8);
  }

  public String stderr() {
    return new String(stderrBytes, StandardCharsets.UTF_8);
  }

  public boolean ok() {
    return exitCode == 0;
  }

  /** Returns this result when the exit code is 0, else throws a {@link CommandException}. */
  public CommandResult orThrow() {
    if (exitCode != 0) {
      throw new CommandException(argv, exitCode, tail(stderr(), STDERR_TAIL_CHARS), "failed");
    }
    return this;
  }

  static String tail(String text, int maxChars) {
    return text.length() <= maxChars ? text : "…" + text.substring(text.length() - maxChars);
  }
}
