package dev.hearth.imagemgr;

import dev.hearth.core.FileExtents;
import dev.hearth.core.Posix;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A file's sha256 and size: the sha256 of all its bytes, as {@code sha256sum} prints it, but read
 * where the file has data only. A hole (found with {@code SEEK_DATA}/{@code SEEK_HOLE}) reads as
 * zeros, so it is hashed from a buffer of zeros without reading it: a sparse rootfs costs the
 * hashing of its size, not the reading of it. The size is taken once, when the file is opened; the
 * caller hashes a file nothing else writes (a private staged copy).
 */
record FileDigest(String sha256, long size) {
  private static final int BUFFER = 1 << 20;
  private static final byte[] ZEROS = new byte[BUFFER];

  /**
   * Hashes the file; checks for an interrupt between chunks, so a long hash can be cancelled.
   *
   * @throws InterruptedIOException when the thread is interrupted (its flag is set again)
   */
  static FileDigest of(Path file, Posix posix) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
    ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
    long size;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        FileExtents extents = posix.openExtents(file)) {
      size = channel.size();
      long position = 0;
      while (position < size) {
        long data = extents.nextData(position);
        long dataStart = data < 0 ? size : Math.min(data, size);
        hashZeros(digest, dataStart - position, file);
        position = dataStart;
        if (position >= size) {
          break;
        }
        long dataEnd = Math.min(Math.max(extents.nextHole(position), position + 1), size);
        hashData(digest, channel, buffer, position, dataEnd, file);
        position = dataEnd;
      }
    }
    return new FileDigest(HexFormat.of().formatHex(digest.digest()), size);
  }

  private static void hashZeros(MessageDigest digest, long count, Path file)
      throws InterruptedIOException {
    for (long left = count; left > 0; left -= BUFFER) {
      checkInterrupt(file);
      digest.update(ZEROS, 0, (int) Math.min(BUFFER, left));
    }
  }

  private static void hashData(
      MessageDigest digest, FileChannel channel, ByteBuffer buffer, long from, long to, Path file)
      throws IOException {
    long position = from;
    while (position < to) {
      checkInterrupt(file);
      buffer.clear().limit((int) Math.min(BUFFER, to - position));
      int n = channel.read(buffer, position);
      if (n < 0) {
        // Truncated while hashed: the caller's file was not stable.
        throw new IOException(file + " shrank to " + position + " bytes while it was hashed");
      }
      buffer.flip();
      digest.update(buffer);
      position += n;
    }
  }

  private static void checkInterrupt(Path file) throws InterruptedIOException {
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("hashing " + file + " was interrupted");
    }
  }
}
