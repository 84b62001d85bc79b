package dev.hearth.core;

import java.io.IOException;

/**
 * A file open to find its data and its holes ({@code lseek} with {@code SEEK_DATA} and {@code
 * SEEK_HOLE}), so that a sparse file is read where it has data only. On a filesystem that does not
 * track holes the whole file is data. Opened by {@link Posix#openExtents}; close it after use.
 */
public interface FileExtents extends AutoCloseable {
  /** The offset of the first data at or after {@code offset}, or -1 when only a hole follows. */
  long nextData(long offset) throws IOException;

  /** The offset of the first hole at or after {@code offset}; the end of the file counts as one. */
  long nextHole(long offset) throws IOException;

  @Override
  void close();
}
