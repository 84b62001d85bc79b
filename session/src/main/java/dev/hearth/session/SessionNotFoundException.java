package dev.hearth.session;

/** No session of a VM answers to a reference (id, name or id prefix); the message names both. */
public class SessionNotFoundException extends SessionException {
  private static final long serialVersionUID = 1L;

  public SessionNotFoundException(String message) {
    super(message);
  }
}
