package dev.hearth.session;

/** The refusals a session script reports on its {@code hearth-error:} line. */
public enum StepErrorKind {
  /** No such session folder. */
  NOT_FOUND("not-found"),
  /** The session exited or was lost; the argument is its state. */
  NOT_RUNNING("not-running"),
  /** A running session has the requested name; the argument is its id. */
  NAME_TAKEN("name-taken"),
  /** The working folder does not exist in the guest. */
  NO_CWD("no-cwd"),
  /** The command is not found in the guest. */
  NO_COMMAND("no-command"),
  /** EOF was already sent to the session's stdin. */
  STDIN_CLOSED("stdin-closed"),
  /** The session id is taken (a random id collided). */
  EXISTS("exists"),
  /**
   * Anything else: the script failed without a refusal line, or with one this code does not know.
   */
  OTHER("other");

  private final String word;

  StepErrorKind(String word) {
    this.word = word;
  }

  public String word() {
    return word;
  }

  static StepErrorKind ofWord(String word) {
    for (StepErrorKind kind : values()) {
      if (kind.word.equals(word)) {
        return kind;
      }
    }
    return OTHER;
  }
}
