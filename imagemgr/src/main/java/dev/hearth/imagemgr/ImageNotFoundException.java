package dev.hearth.imagemgr;

/** No usable image of that name; the message names its folder and the file it lacks. */
public class ImageNotFoundException extends ImagemgrException {
  private static final long serialVersionUID = 1L;

  public ImageNotFoundException(String message) {
    super(message);
  }

  public ImageNotFoundException(String message, Throwable cause) {
    super(message, cause);
  }
}
