package dev.hearth.session;

import dev.hearth.core.Printable;
import dev.hearth.core.ShellQuote;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a new session runs: its id, optional name, command line, working folder and environment. The
 * constructor validates everything that would not reach the guest intact.
 *
 * @param id a session id ({@link SessionIds})
 * @param name a name, unique among the VM's running sessions ({@code [a-z0-9][a-z0-9-]{0,62}})
 * @param argv the command and its arguments, passed exactly (no shell in between)
 * @param cwd an absolute guest folder to run in; empty for the guest user's home
 * @param env variables added to the guest's environment, in order
 * @param startedAt when the daemon started it
 */
public record SessionSpec(
    String id,
    Optional<String> name,
    List<String> argv,
    Optional<String> cwd,
    Map<String, String> env,
    Instant startedAt) {
  /** The session names allowed: those of VMs (a hostname label). */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  public SessionSpec {
    SessionIds.requireValid(id);
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(cwd, "cwd");
    Objects.requireNonNull(startedAt, "startedAt");
    name.ifPresent(SessionSpec::requireValidName);
    argv = List.copyOf(argv);
    if (argv.isEmpty()) {
      throw new InvalidSessionRequestException("a session needs a command");
    }
    if (argv.get(0).isEmpty()) {
      throw new InvalidSessionRequestException("the session's command name is empty");
    }
    for (String word : argv) {
      requireNoNul("command word", word);
    }
    cwd.ifPresent(
        folder -> {
          requireNoNul("working folder", folder);
          if (!folder.startsWith("/")) {
            throw new InvalidSessionRequestException(
                "the working folder must be an absolute guest path; got '"
                    + Printable.of(folder)
                    + "'");
          }
        });
    Map<String, String> copy = new LinkedHashMap<>();
    env.forEach(
        (key, value) -> {
          if (!ENV_NAME.matcher(key).matches()) {
            throw new InvalidSessionRequestException(
                "invalid environment variable name '"
                    + Printable.of(key)
                    + "': use letters, digits and '_', not starting with a digit");
          }
          requireNoNul("value of environment variable " + key, value);
          copy.put(key, value);
        });
    env = java.util.Collections.unmodifiableMap(copy);
  }

  /**
   * @throws InvalidSessionRequestException naming the value when it is not a valid session name
   */
  public static String requireValidName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidSessionRequestException(
          "invalid session name '"
              + Printable.of(String.valueOf(name))
              + "': use 1 to 63 lower-case letters, digits and '-', starting with a letter or"
              + " digit");
    }
    return name;
  }

  /** The command as one line a person can read (and a shell would run as the same argv). */
  public String commandLine() {
    return ShellQuote.readable(argv);
  }

  private static void requireNoNul(String what, String value) {
    if (value.indexOf('\0') >= 0) {
      throw new InvalidSessionRequestException(
          "the " + what + " contains a NUL character, which cannot reach a guest command");
    }
  }
}
