package dev.hearth.opstate;

/** An id prefix matches more than one operation; the message names the candidates. */
public class AmbiguousOpIdException extends OpstateException {
  private static final long serialVersionUID = 1L;

  public AmbiguousOpIdException(String message) {
    super(message);
  }
}
