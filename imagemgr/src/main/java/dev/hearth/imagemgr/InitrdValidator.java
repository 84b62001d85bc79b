package dev.hearth.imagemgr;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Checks that an initrd is a readable, non-empty regular file and recognises its format. The kernel
 * is the judge of its content, so an unknown format is reported, not refused.
 */
public final class InitrdValidator {
  private InitrdValidator() {}

  /**
   * Validates an initrd file.
   *
   * @throws InvalidImageFileException when it is missing, a folder, unreadable or empty
   */
  public static InitrdInfo validate(Path file) {
    try (FileHeaders headers = FileHeaders.open(file, "initrd")) {
      if (headers.size() == 0) {
        throw new InvalidImageFileException(file, "the initrd is empty");
      }
      return new InitrdInfo(file, headers.size(), formatOf(headers.read(0, 6)));
    }
  }

  static InitrdInfo.Format formatOf(ByteBuffer start) {
    if (matches(start, 0x1f, 0x8b)) {
      return InitrdInfo.Format.GZIP;
    }
    if (matches(start, 0xfd, '7', 'z', 'X', 'Z', 0x00)) {
      return InitrdInfo.Format.XZ;
    }
    if (matches(start, 0x28, 0xb5, 0x2f, 0xfd)) {
      return InitrdInfo.Format.ZSTD;
    }
    if (matches(start, 0x02, 0x21, 0x4c, 0x18)) {
      return InitrdInfo.Format.LZ4;
    }
    // newc, crc and odc cpio headers; an initrd with early microcode starts with one too.
    if (matches(start, '0', '7', '0', '7', '0', '1')
        || matches(start, '0', '7', '0', '7', '0', '2')
        || matches(start, '0', '7', '0', '7', '0', '7')) {
      return InitrdInfo.Format.CPIO;
    }
    return InitrdInfo.Format.UNKNOWN;
  }

  private static boolean matches(ByteBuffer buffer, int... magic) {
    if (buffer.limit() < magic.length) {
      return false;
    }
    for (int i = 0; i < magic.length; i++) {
      if ((buffer.get(i) & 0xff) != magic[i]) {
        return false;
      }
    }
    return true;
  }
}
