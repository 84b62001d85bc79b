package dev.hearth.core;

/**
 * A name given by a user breaks hearth's naming rules; the message names the value and the rule.
 */
public class InvalidNameException extends CoreException {
  private static final long serialVersionUID = 1L;

  public InvalidNameException(String message) {
    super(message);
  }
}
