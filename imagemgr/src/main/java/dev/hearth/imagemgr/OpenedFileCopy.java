package dev.hearth.imagemgr;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * How {@link StagedImage} takes in a file a client passed open (ARCHITECTURE.md, "Files from
 * clients").
 */
final class OpenedFileCopy {
  private static final int SPARSE_BLOCK = 64 * 1024;

  private OpenedFileCopy() {}

  /**
   * Copies an open file's bytes, from its start to the size it has now, into {@code target}; blocks
   * of zeros are skipped (holes). Reading up to the size only: a character device such as {@code
   * /dev/zero} has size 0, and a pipe or socket (no position) is refused.
   */
  static void copy(ImageSource.Opened source, Path target) {
    FileChannel in = source.channel();
    long size;
    try {
      in.position(0);
      size = in.size();
    } catch (IOException e) {
      throw new InvalidImageFileException(
          Path.of(source.label()), "is not a regular file (" + e.getMessage() + ")");
    }
    byte[] block = new byte[SPARSE_BLOCK];
    ByteBuffer buffer = ByteBuffer.wrap(block);
    try (RandomAccessFile out = new RandomAccessFile(target.toFile(), "rw")) {
      out.setLength(0);
      long position = 0;
      while (position < size) {
        buffer.clear();
        buffer.limit((int) Math.min(block.length, size - position));
        int n;
        try {
          n = in.read(buffer, position);
        } catch (IOException e) {
          throw new InvalidImageFileException(
              Path.of(source.label()),
              "cannot be read through the descriptor the client passed ("
                  + e.getMessage()
                  + "): open it for reading");
        }
        if (n < 0) {
          break; // it shrank meanwhile: take what there is
        }
        if (!allZero(block, n)) {
          out.seek(position);
          out.write(block, 0, n);
        }
        position += n;
      }
      out.setLength(position);
    } catch (IOException e) {
      throw new ImageStagingException(
          "cannot copy " + source.label() + " to " + target + ": " + e, e);
    }
  }

  private static boolean allZero(byte[] block, int length) {
    for (int i = 0; i < length; i++) {
      if (block[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
