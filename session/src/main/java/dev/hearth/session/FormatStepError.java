package dev.hearth.session;

import dev.hearth.core.Printable;
import java.util.Optional;

/**
 * Turns a failed session script's result into a {@link SessionStepException} whose message names
 * the step, the session and the cause. Scripts report refusals as a {@code hearth-error: KIND
 * [ARG]} line on stderr (see {@link SessionScripts}); without one, the message carries the exit
 * status and the end of stderr.
 */
public final class FormatStepError {
  private static final String PREFIX = "hearth-error: ";
  private static final int MAX_STDERR = 400;

  private FormatStepError() {}

  /**
   * @param step what was being done ("start", "write", "kill", ...)
   * @param session how a person knows the session (its id, or "'name' (id)")
   * @param vm the VM's name
   * @param exitCode the script's exit status
   * @param stderr the script's stderr
   */
  public static SessionStepException of(
      String step, String session, String vm, int exitCode, String stderr) {
    return of(step, session, vm, exitCode, stderr, Optional.empty());
  }

  /** As {@link #of(String, String, String, int, String)}, naming the start's folder and command. */
  public static SessionStepException ofStart(
      SessionSpec spec, String vm, int exitCode, String stderr) {
    String session = spec.name().map(n -> "'" + n + "' (" + spec.id() + ")").orElse(spec.id());
    return of("start", session, vm, exitCode, stderr, Optional.of(spec));
  }

  private static SessionStepException of(
      String step,
      String session,
      String vm,
      int exitCode,
      String stderr,
      Optional<SessionSpec> spec) {
    Optional<String> refusal =
        stderr.lines().filter(l -> l.startsWith(PREFIX)).reduce((first, last) -> last);
    String where = "session " + step + " of " + session + " in VM " + vm + " failed: ";
    if (refusal.isEmpty()) {
      return new SessionStepException(
          StepErrorKind.OTHER,
          where
              + "the guest script exited "
              + exitCode
              + (stderr.isBlank() ? "" : ": " + Printable.of(abbreviate(stderr.strip()))));
    }
    String[] words = refusal.get().substring(PREFIX.length()).strip().split(" ", 2);
    StepErrorKind kind = StepErrorKind.ofWord(words[0]);
    String arg = words.length > 1 ? Printable.of(words[1]) : "";
    return new SessionStepException(kind, where + cause(kind, words[0], arg, session, spec));
  }

  private static String cause(
      StepErrorKind kind, String word, String arg, String session, Optional<SessionSpec> spec) {
    switch (kind) {
      case NOT_FOUND:
        return "there is no session " + session + " in the guest";
      case NOT_RUNNING:
        return "the session is not running (it is " + (arg.isEmpty() ? "ended" : arg) + ")";
      case NAME_TAKEN:
        return "the name is taken by running session " + arg;
      case NO_CWD:
        return "the working folder "
            + spec.flatMap(SessionSpec::cwd).map(c -> "'" + Printable.of(c) + "' ").orElse("")
            + "does not exist in the guest";
      case NO_COMMAND:
        return "the command "
            + spec.map(p -> "'" + Printable.of(p.argv().get(0)) + "' ").orElse("")
            + "was not found in the guest (with the session's folder and PATH)";
      case STDIN_CLOSED:
        return "the session's input was already closed (EOF sent)";
      case EXISTS:
        return "a session folder with this id already exists";
      default:
        return "the guest script reported '"
            + Printable.of(word)
            + (arg.isEmpty() ? "" : " " + arg)
            + "'";
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= MAX_STDERR ? text : "..." + text.substring(text.length() - MAX_STDERR);
  }
}
