package dev.hearth.imagemgr;

import java.nio.file.Path;

/** A file given as a kernel, rootfs or initrd is not what it must be; names the file and why. */
public class InvalidImageFileException extends ImagemgrException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String problem;

  public InvalidImageFileException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
    this.problem = problem;
  }

  public Path file() {
    return file;
  }

  /** What is wrong with the file, without its name. */
  public String problem() {
    return problem;
  }
}
