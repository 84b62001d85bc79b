package dev.hearth.dmsnap;

/** The configured provisioner is unknown, or cannot work on this host. */
public class ProvisionerChoiceException extends DmsnapException {
  private static final long serialVersionUID = 1L;

  public ProvisionerChoiceException(String message) {
    super(message);
  }
}
