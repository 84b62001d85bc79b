package dev.hearth.imagemgr;

/** An {@code image build} option is unusable; names the option and the value. */
public class InvalidBuildSpecException extends ImagemgrException {
  private static final long serialVersionUID = 1L;

  public InvalidBuildSpecException(String message) {
    super(message);
  }
}
