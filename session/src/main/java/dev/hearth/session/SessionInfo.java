package dev.hearth.session;

import dev.hearth.core.ShellQuote;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One session as its guest folder describes it.
 *
 * @param exitCode the command's exit status, when it exited (128 + N when killed by signal N)
 */
public record SessionInfo(
    String id,
    Optional<String> name,
    List<String> argv,
    Optional<String> cwd,
    Map<String, String> env,
    Instant startedAt,
    SessionState state,
    OptionalInt exitCode) {

  public SessionInfo {
    argv = List.copyOf(argv);
    env = Map.copyOf(env);
  }

  /** The command as one line a person can read. */
  public String commandLine() {
    return argv.isEmpty() ? "" : ShellQuote.readable(argv);
  }
}
