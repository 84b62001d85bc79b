package dev.hearth.imagemgr;

/** An image in the catalog cannot be read; the message names the file and why. */
public class ImageReadException extends ImagemgrException {
  private static final long serialVersionUID = 1L;

  public ImageReadException(String message) {
    super(message);
  }

  public ImageReadException(String message, Throwable cause) {
    super(message, cause);
  }
}
