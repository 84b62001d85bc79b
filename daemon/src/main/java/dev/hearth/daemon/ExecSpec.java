package dev.hearth.daemon;

import dev.hearth.session.ExecRequest;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A command to run in a guest. A bad value throws {@link HearthException.Kind#INVALID} naming it,
 * as the daemon answers {@code vm.exec}.
 *
 * @param argv the command and its arguments, not empty
 * @param env variables added to the guest's environment (shell names)
 * @param cwd the working folder, when not root's home
 * @param pty a terminal for it (then its stderr arrives as stdout); none when empty
 */
public record ExecSpec(
    List<String> argv, Map<String, String> env, Optional<String> cwd, Optional<Pty> pty) {

  public ExecSpec {
    Objects.requireNonNull(argv, "argv");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(cwd, "cwd");
    Objects.requireNonNull(pty, "pty");
    if (argv.isEmpty()) {
      throw HearthException.invalid(
          "param 'argv' of vm.exec: give the command to run, e.g. [\"uname\", \"-a\"]");
    }
    argv = List.copyOf(argv);
    env = Map.copyOf(env);
    try {
      new ExecRequest(argv, env, cwd, Optional.empty());
    } catch (IllegalArgumentException e) {
      throw HearthException.invalid("vm.exec: " + e.getMessage());
    }
  }

  /** Without a terminal. */
  public ExecSpec(List<String> argv, Map<String, String> env, Optional<String> cwd) {
    this(argv, env, cwd, Optional.empty());
  }

  /** The command with no environment, working folder or terminal. */
  public static ExecSpec of(String... argv) {
    return new ExecSpec(List.of(argv), Map.of(), Optional.empty(), Optional.empty());
  }

  /** The same command on {@code pty}. */
  public ExecSpec withPty(Pty pty) {
    return new ExecSpec(argv, env, cwd, Optional.of(pty));
  }
}
