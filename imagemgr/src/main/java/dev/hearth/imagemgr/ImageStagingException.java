package dev.hearth.imagemgr;

/**
 * Staging or publishing an image failed on the filesystem (copy, checksum, manifest, rename,
 * cleanup); names the path and the cause.
 */
public class ImageStagingException extends ImagemgrException {
  private static final long serialVersionUID = 1L;

  public ImageStagingException(String message) {
    super(message);
  }

  public ImageStagingException(String message, Throwable cause) {
    super(message, cause);
  }
}
