package dev.hearth.daemon;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A session to start ({@link Sessions#start}). The argv must not be empty ({@link
 * HearthException.Kind#INVALID} otherwise); the name, folder and environment are checked by the
 * session module's rules when it starts.
 *
 * @param vm a VM name or unique id prefix
 * @param name unique among the VM's running sessions
 * @param cwd an absolute guest folder
 */
public record SessionStart(
    String vm,
    Optional<String> name,
    List<String> argv,
    Optional<String> cwd,
    Map<String, String> env) {

  public SessionStart {
    Objects.requireNonNull(vm, "vm");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(argv, "argv");
    if (argv.isEmpty()) {
      throw HearthException.invalid(
          "param 'argv' of session.start: must be a non-empty array of strings");
    }
    argv = List.copyOf(argv);
    Objects.requireNonNull(cwd, "cwd");
    env = Map.copyOf(env);
  }

  /** The command, unnamed, in the guest's default folder and environment. */
  public static SessionStart of(String vm, String... argv) {
    return new SessionStart(vm, Optional.empty(), List.of(argv), Optional.empty(), Map.of());
  }
}
