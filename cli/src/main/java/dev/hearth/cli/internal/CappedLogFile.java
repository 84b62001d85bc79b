package dev.hearth.cli.internal;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The daemon's log file kept within a cap: the current file and the one rotated out before it
 * ({@code <file>.1}), each at most half the cap, so both together never exceed it (the console
 * log's scheme, see ARCHITECTURE.md "Leaf module notes"). Logback writes one event per {@link
 * #write(byte[], int, int)}, so a rotation falls between two events: when the next event would take
 * the file past half the cap, the file is renamed to {@code <file>.1} (replacing the older one) and
 * a new one is started. An event longer than half the cap keeps its first half-cap bytes. Not
 * thread-safe: logback's appender writes under its own lock.
 */
final class CappedLogFile extends OutputStream {
  private final Path file;
  private final long half;
  private FileOutputStream out;
  private long size;

  private CappedLogFile(Path file, long half) throws IOException {
    this.file = file;
    this.half = half;
    open();
  }

  /** Opens (appends to) {@code file} for a cap of {@code maxBytes} over it and its rotated copy. */
  static CappedLogFile open(Path file, long maxBytes) throws IOException {
    if (maxBytes < 2) {
      throw new IllegalArgumentException("log cap must be at least 2 bytes, got " + maxBytes);
    }
    return new CappedLogFile(file, maxBytes / 2);
  }

  static Path previous(Path file) {
    return file.resolveSibling(file.getFileName() + ".1");
  }

  private void open() throws IOException {
    out = new FileOutputStream(file.toFile(), true);
    size = Files.size(file);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    int n = (int) Math.min(length, half);
    if (size + n > half) {
      out.close();
      Files.move(file, previous(file), StandardCopyOption.REPLACE_EXISTING);
      open();
    }
    out.write(bytes, offset, n);
    size += n;
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
