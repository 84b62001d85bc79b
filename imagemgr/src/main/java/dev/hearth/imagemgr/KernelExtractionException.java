package dev.hearth.imagemgr;

/** The ELF vmlinux could not be extracted from a bzImage; names the file and why. */
public class KernelExtractionException extends ImagemgrException {
  private static final long serialVersionUID = 1L;

  public KernelExtractionException(String message) {
    super(message);
  }

  public KernelExtractionException(String message, Throwable cause) {
    super(message, cause);
  }
}
