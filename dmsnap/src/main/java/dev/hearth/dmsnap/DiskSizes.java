package dev.hearth.dmsnap;

import dev.hearth.core.Sizes;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Disk size arithmetic and the file steps shared by the provisioners. */
final class DiskSizes {
  static final long SECTOR = 512;

  /** ext4 blocks are at most 4 KiB: a disk of whole blocks lets the filesystem use all of it. */
  static final long ALIGNMENT = 4096;

  private DiskSizes() {}

  /**
   * The disk's size: the image's, or the requested one rounded up to whole 4 KiB blocks.
   *
   * @throws DiskSizeException naming both sizes when the request is smaller than the image
   */
  static long diskBytes(Path image, long imageBytes, OptionalLong requestedBytes) {
    if (requestedBytes.isEmpty()) {
      return imageBytes;
    }
    long requested = requestedBytes.getAsLong();
    if (requested < imageBytes) {
      throw new DiskSizeException(
          "the requested disk size "
              + describe(requested)
              + " is smaller than the image "
              + image
              + " ("
              + describe(imageBytes)
              + "); ask for at least the image's size");
    }
    if (requested > Long.MAX_VALUE - ALIGNMENT) {
      throw new DiskSizeException("the requested disk size " + requested + " bytes is too large");
    }
    return Math.max(imageBytes, (requested + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT);
  }

  static String describe(long bytes) {
    return Sizes.format(bytes) + ", " + bytes + " bytes";
  }

  /** Sets a file's length; growing it this way allocates nothing (the new part is a hole). */
  static void setLength(Path file, long bytes) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(bytes);
    }
  }

  /** Creates a new sparse file of the given length; fails if the file exists. */
  static void createSparse(Path file, long bytes) throws IOException {
    Files.createFile(file);
    setLength(file, bytes);
  }
}
