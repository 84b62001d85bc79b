package dev.hearth.session;

/** A session request that cannot be turned into a script: a bad name, command, folder or signal. */
public class InvalidSessionRequestException extends SessionException {
  private static final long serialVersionUID = 1L;

  public InvalidSessionRequestException(String message) {
    super(message);
  }
}
