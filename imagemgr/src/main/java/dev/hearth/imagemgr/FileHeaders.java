package dev.hearth.imagemgr;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads small slices of a file by position, so that validators look at headers only and never load
 * a whole image.
 */
final class FileHeaders implements AutoCloseable {
  private final Path file;
  private final FileChannel channel;
  private final long size;

  private FileHeaders(Path file, FileChannel channel, long size) {
    this.file = file;
    this.channel = channel;
    this.size = size;
  }

  /**
   * Opens a regular, readable file.
   *
   * @param what the file's role for messages ("kernel", "rootfs")
   * @throws InvalidImageFileException when it is missing, a folder or not readable
   */
  static FileHeaders open(Path file, String what) {
    requireRegularReadable(file, what);
    try {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
      return new FileHeaders(file, channel, channel.size());
    } catch (IOException e) {
      throw new InvalidImageFileException(file, "cannot read the " + what + ": " + e.getMessage());
    }
  }

  static void requireRegularReadable(Path file, String what) {
    if (!Files.exists(file)) {
      throw new InvalidImageFileException(file, "no such " + what + " file");
    }
    if (Files.isDirectory(file)) {
      throw new InvalidImageFileException(file, "is a folder, not a " + what + " file");
    }
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file)) {
      throw new InvalidImageFileException(file, "is not a regular file (the " + what + ")");
    }
    if (!Files.isReadable(file)) {
      throw new InvalidImageFileException(file, "the " + what + " file is not readable");
    }
  }

  Path file() {
    return file;
  }

  long size() {
    return size;
  }

  /**
   * Up to {@code length} bytes at {@code offset}, little-endian; fewer when the file ends first.
   */
  ByteBuffer read(long offset, int length) {
    ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    try {
      while (buffer.hasRemaining()) {
        int n = channel.read(buffer, offset + buffer.position());
        if (n < 0) {
          break;
        }
      }
    } catch (IOException e) {
      throw new InvalidImageFileException(file, "read failed at offset " + offset + ": " + e);
    }
    return buffer.flip();
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // Read-only channel: nothing was written that a failed close could lose.
    }
  }
}
