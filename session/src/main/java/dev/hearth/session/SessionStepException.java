package dev.hearth.session;

/**
 * A session script that failed in the guest, with the refusal's kind when the script reported one
 * ({@link StepErrorKind#OTHER} otherwise). The message names the step, the session and the cause.
 */
public class SessionStepException extends SessionException {
  private static final long serialVersionUID = 1L;

  private final StepErrorKind kind;

  public SessionStepException(StepErrorKind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public StepErrorKind kind() {
    return kind;
  }
}
