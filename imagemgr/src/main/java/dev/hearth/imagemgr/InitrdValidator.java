package dev.hearth.imagemgr;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Checks that an initrd is a readable, non-empty regular file in a format the kernel unpacks: cpio,
 * or cpio compressed with gzip, xz, zstd or lz4. Anything else is refused, naming the first bytes
 * seen: an initrd is copied into the image and handed to every guest of it, so an unknown file (a
 * private key, say) must not pass as one.
 */
public final class InitrdValidator {
  private InitrdValidator() {}

  /**
   * Validates an initrd file.
   *
   * @throws InvalidImageFileException when it is missing, a folder, unreadable, empty or of an
   *     unknown format (naming its first bytes)
   */
  public static InitrdInfo validate(Path file) {
    try (FileHeaders headers = FileHeaders.open(file, "initrd")) {
      if (headers.size() == 0) {
        throw new InvalidImageFileException(file, "the initrd is empty");
      }
      ByteBuffer start = headers.read(0, 6);
      InitrdInfo.Format format = formatOf(start);
      if (format == InitrdInfo.Format.UNKNOWN) {
        throw new InvalidImageFileException(
            file,
            "not an initrd: it starts with bytes "
                + hex(start)
                + ", not a cpio archive (070701, 070702, 070707) nor gzip (1f 8b), xz (fd 37 7a 58"
                + " 5a 00), zstd (28 b5 2f fd) or lz4 (02 21 4c 18)");
      }
      return new InitrdInfo(file, headers.size(), format);
    }
  }

  private static String hex(ByteBuffer start) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < start.limit(); i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(String.format("%02x", start.get(i) & 0xff));
    }
    return sb.toString();
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
