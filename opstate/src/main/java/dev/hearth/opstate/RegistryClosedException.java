package dev.hearth.opstate;

/** The registry was closed (the daemon is shutting down) and accepts no new operations. */
public class RegistryClosedException extends OpstateException {
  private static final long serialVersionUID = 1L;

  public RegistryClosedException(String message) {
    super(message);
  }
}
