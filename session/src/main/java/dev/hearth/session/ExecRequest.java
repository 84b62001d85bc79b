package dev.hearth.session;

import dev.hearth.core.ShellQuote;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A command to run in a guest: its argv (empty: the login shell), environment, working folder and
 * terminal.
 *
 * <p>sshd refuses {@code env} requests for names not in its {@code AcceptEnv} (and images need not
 * set any), so variables go into the command line through {@code env}; the command is run with
 * {@code exec}, so that it is the process sshd waits for. Every command also gets {@link
 * #EXEC_ID_VARIABLE}, which marks its processes so that a cancelled command can be found and ended
 * (sshd refuses SSH signal requests in root sessions).
 */
public record ExecRequest(
    List<String> argv, Map<String, String> env, Optional<String> cwd, Optional<Pty> pty) {
  /** The variable that marks a command's processes with the id of its execution. */
  public static final String EXEC_ID_VARIABLE = "HEARTH_EXEC_ID";

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /**
   * A terminal for the command.
   *
   * @param term the TERM value, e.g. {@code xterm-256color}
   */
  public record Pty(String term, int cols, int rows) {
    public Pty {
      Objects.requireNonNull(term, "term");
      if (term.isEmpty() || !term.matches("[A-Za-z0-9._+-]{1,64}")) {
        throw new IllegalArgumentException(
            "TERM must be 1 to 64 letters, digits, '.', '_', '+' or '-'; got '" + term + "'");
      }
      requireSize("cols", cols);
      requireSize("rows", rows);
    }
  }

  /**
   * @throws IllegalArgumentException naming the offending value: an environment name that is not a
   *     shell name, a NUL character anywhere, an empty cwd
   */
  public ExecRequest {
    argv = List.copyOf(argv);
    // Sorted, so that the command line is the same for the same request.
    env = Collections.unmodifiableMap(new TreeMap<>(env));
    Objects.requireNonNull(cwd, "cwd");
    Objects.requireNonNull(pty, "pty");
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (e.getKey().equals(EXEC_ID_VARIABLE)) {
        throw new IllegalArgumentException(EXEC_ID_VARIABLE + " is set by hearth itself");
      }
      if (!ENV_NAME.matcher(e.getKey()).matches()) {
        throw new IllegalArgumentException(
            "environment variable name '"
                + e.getKey()
                + "' is not valid: use letters, digits and '_', not starting with a digit");
      }
      requireNoNul("the value of " + e.getKey(), e.getValue());
    }
    for (String word : argv) {
      requireNoNul("the command", word);
    }
    if (cwd.isPresent()) {
      if (cwd.get().isEmpty()) {
        throw new IllegalArgumentException("the working folder must not be empty");
      }
      requireNoNul("the working folder", cwd.get());
    }
    if (argv.isEmpty() && (!env.isEmpty() || cwd.isPresent())) {
      throw new IllegalArgumentException("a login shell takes no environment or working folder");
    }
  }

  /** A command with no environment, working folder or terminal. */
  public static ExecRequest of(List<String> argv) {
    return new ExecRequest(argv, Map.of(), Optional.empty(), Optional.empty());
  }

  /** The login shell on a terminal. */
  public static ExecRequest loginShell(Pty pty) {
    return new ExecRequest(List.of(), Map.of(), Optional.empty(), Optional.of(pty));
  }

  /** Whether this is the login shell (an SSH shell channel) rather than a command. */
  public boolean isLoginShell() {
    return argv.isEmpty();
  }

  /**
   * The command line sshd hands to the login shell: {@code cd -- 'DIR' && exec env --
   * 'HEARTH_EXEC_ID=ID' 'K=V' ... 'argv0' 'argv1'}, every value through {@link ShellQuote}.
   *
   * @param execId marks the command's processes (letters, digits and '-')
   */
  public String commandLine(String execId) {
    if (isLoginShell()) {
      throw new IllegalStateException("a login shell has no command line");
    }
    if (!execId.matches("[A-Za-z0-9-]+")) {
      throw new IllegalArgumentException("an exec id is letters, digits and '-'; got " + execId);
    }
    List<String> words = new ArrayList<>();
    words.add("env");
    words.add("--");
    words.add(EXEC_ID_VARIABLE + "=" + execId);
    env.forEach((name, value) -> words.add(name + "=" + value));
    words.addAll(argv);
    String command = "exec " + ShellQuote.command(words);
    return cwd.map(dir -> "cd -- " + ShellQuote.quote(dir) + " && " + command).orElse(command);
  }

  private static void requireSize(String what, int value) {
    if (value < 1 || value > 65535) {
      throw new IllegalArgumentException(what + " must be 1..65535, not " + value);
    }
  }

  private static void requireNoNul(String what, String value) {
    if (value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(what + " contains a NUL character");
    }
  }
}
