package dev.hearth.daemon;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A guest session: a command running detached in a VM, as its guest folder describes it.
 *
 * @param id ten hex digits, unique in its VM
 * @param exitCode its exit status once it exited (128 + n after signal n)
 * @param command the command as one line a person can read
 */
public record Session(
    String id,
    Optional<String> name,
    SessionState state,
    OptionalInt exitCode,
    Instant startedAt,
    String command,
    List<String> argv,
    Optional<String> cwd,
    Map<String, String> env) {

  public Session {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(exitCode, "exitCode");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(command, "command");
    argv = List.copyOf(argv);
    Objects.requireNonNull(cwd, "cwd");
    env = Map.copyOf(env);
  }
}
