package dev.hearth.opstate;

/** No operation has the given id or id prefix (it never existed or was pruned). */
public class OpNotFoundException extends OpstateException {
  private static final long serialVersionUID = 1L;

  public OpNotFoundException(String message) {
    super(message);
  }
}
