package dev.hearth.imagemgr;

/** An image build failed for a reason of the host or of the build script. */
public final class ImageBuildException extends ImagemgrException {
  private static final long serialVersionUID = 1L;

  public ImageBuildException(String message) {
    super(message);
  }

  public ImageBuildException(String message, Throwable cause) {
    super(message, cause);
  }
}
