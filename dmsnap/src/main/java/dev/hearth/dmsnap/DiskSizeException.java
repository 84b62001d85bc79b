package dev.hearth.dmsnap;

/** A requested disk size is smaller than the image it would hold, or not a usable size. */
public class DiskSizeException extends DmsnapException {
  private static final long serialVersionUID = 1L;

  public DiskSizeException(String message) {
    super(message);
  }
}
