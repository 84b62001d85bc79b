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

  private final boolean owned;

  private FileHeaders(Path file, FileChannel channel, long size) {
    this(file, channel, size, true);
  }

  private FileHeaders(Path file, FileChannel channel, long size, boolean owned) {
    this.file = file;
    this.channel = channel;
    this.size = size;
    this.owned = owned;
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

  /**
   * Reads an open file someone else passed; {@link #close} leaves it open. Its size is fixed at the
   * call: a pipe or socket (no size, no position) is refused.
   */
  static FileHeaders borrow(ImageSource.Opened source, String what) {
    Path named = Path.of(source.label());
    try {
      long size = source.channel().size();
      source.channel().position(0);
      return new FileHeaders(named, source.channel(), size, false);
    } catch (IOException e) {
      throw new InvalidImageFileException(
          named, "the " + what + " is not a regular file (" + e.getMessage() + ")");
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
    if (!owned) {
      return;
    }
    try {
      channel.close();
    } catch (IOException e) {
      // Read-only channel: nothing was written that a failed close could lose.
    }
  }
}
