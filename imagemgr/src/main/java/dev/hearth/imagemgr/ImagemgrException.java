package dev.hearth.imagemgr;

/** Root of every exception thrown by the imagemgr module. */
public class ImagemgrException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ImagemgrException(String message) {
    super(message);
  }

  public ImagemgrException(String message, Throwable cause) {
    super(message, cause);
  }
}
