package dev.hearth.imagemgr;

import java.nio.file.Path;

/**
 * The kernel is a compressed bzImage (a distro {@code vmlinuz}) where Firecracker needs the ELF
 * {@code vmlinux}; the message says how to extract it.
 */
public class CompressedKernelException extends InvalidImageFileException {
  private static final long serialVersionUID = 1L;

  public CompressedKernelException(Path file) {
    super(
        file,
        "this is a compressed bzImage (vmlinuz), but Firecracker boots the uncompressed ELF"
            + " vmlinux: extract it with the kernel tree's scripts/extract-vmlinux ("
            + "`extract-vmlinux "
            + file
            + " > vmlinux`), or pass --extract-kernel to let hearth extract it");
  }
}
