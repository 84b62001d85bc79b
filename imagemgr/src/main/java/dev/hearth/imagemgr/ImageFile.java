package dev.hearth.imagemgr;

/** The files of a published image, by role, with their names in {@code images/<name>/}. */
public enum ImageFile {
  KERNEL("vmlinux"),
  ROOTFS("rootfs.ext4"),
  INITRD("initrd");

  private final String fileName;

  ImageFile(String fileName) {
    this.fileName = fileName;
  }

  public String fileName() {
    return fileName;
  }
}
