package dev.hearth.session;

/** A script's output that does not parse: names the script and the offending line. */
public class SessionOutputException extends SessionException {
  private static final long serialVersionUID = 1L;

  public SessionOutputException(String message) {
    super(message);
  }
}
