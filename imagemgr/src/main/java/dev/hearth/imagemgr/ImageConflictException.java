package dev.hearth.imagemgr;

/** An image of that name is already published. */
public class ImageConflictException extends ImagemgrException {
  private static final long serialVersionUID = 1L;

  private final String imageName;

  public ImageConflictException(String imageName) {
    super("image '" + imageName + "' already exists");
    this.imageName = imageName;
  }

  public String imageName() {
    return imageName;
  }
}
