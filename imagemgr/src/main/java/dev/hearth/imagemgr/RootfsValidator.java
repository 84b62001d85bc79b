package dev.hearth.imagemgr;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Checks that a rootfs file carries an ext4 filesystem, from its superblock only. ext2 and ext3
 * share ext4's magic number; they are told apart by the incompatible-feature flags that only ext4
 * sets.
 */
public final class RootfsValidator {
  static final int SUPERBLOCK_OFFSET = 1024;
  static final int SUPERBLOCK_SIZE = 1024;
  static final int EXT_MAGIC = 0xEF53;
  static final int INCOMPAT_EXTENTS = 0x40;
  static final int INCOMPAT_64BIT = 0x80;
  static final int INCOMPAT_FLEX_BG = 0x200;

  private static final int MAGIC_AT = 0x38;
  private static final int EXT4_ONLY_FEATURES =
      INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG;

  private RootfsValidator() {}

  /**
   * Validates a rootfs file.
   *
   * @throws InvalidImageFileException naming the file and what is wrong with it
   */
  public static RootfsInfo validate(Path file) {
    try (FileHeaders headers = FileHeaders.open(file, "rootfs")) {
      if (headers.size() < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) {
        throw new InvalidImageFileException(
            file,
            "too small for an ext4 filesystem ("
                + headers.size()
                + " bytes; the superblock alone ends at byte "
                + (SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE)
                + ")");
      }
      ByteBuffer sb = headers.read(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE);
      int magic = Short.toUnsignedInt(sb.getShort(MAGIC_AT));
      if (magic != EXT_MAGIC) {
        throw new InvalidImageFileException(
            file,
            String.format(
                "no ext4 superblock (magic 0x%04X at byte %d, expected 0xEF53): make the rootfs"
                    + " with mkfs.ext4",
                magic, SUPERBLOCK_OFFSET + MAGIC_AT));
      }
      int incompat = sb.getInt(0x60);
      if ((incompat & EXT4_ONLY_FEATURES) == 0) {
        throw new InvalidImageFileException(
            file,
            "ext2/ext3 image: make it ext4 (tune2fs -O extents,uninit_bg,dir_index or"
                + " mkfs.ext4)");
      }
      int logBlockSize = sb.getInt(0x18);
      if (logBlockSize < 0 || logBlockSize > 6) {
        throw new InvalidImageFileException(
            file, "corrupt ext4 superblock: block size 2^(10+" + logBlockSize + ")");
      }
      int blockSize = 1024 << logBlockSize;
      long blocks = Integer.toUnsignedLong(sb.getInt(0x04));
      if ((incompat & INCOMPAT_64BIT) != 0) {
        blocks |= Integer.toUnsignedLong(sb.getInt(0x150)) << 32;
      }
      long filesystemSize = blocks * blockSize;
      if (filesystemSize > headers.size()) {
        throw new InvalidImageFileException(
            file,
            "truncated ext4 image: the filesystem spans "
                + filesystemSize
                + " bytes but the file has "
                + headers.size());
      }
      byte[] rawLabel = new byte[16];
      sb.get(0x78, rawLabel);
      int end = 0;
      while (end < rawLabel.length && rawLabel[end] != 0) {
        end++;
      }
      String label = new String(rawLabel, 0, end, StandardCharsets.UTF_8);
      return new RootfsInfo(file, headers.size(), filesystemSize, blockSize, incompat, label);
    }
  }
}
