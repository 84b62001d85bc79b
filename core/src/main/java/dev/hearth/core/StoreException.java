package dev.hearth.core;

/** The state database failed; the message names the database file and the statement's purpose. */
public class StoreException extends CoreException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
