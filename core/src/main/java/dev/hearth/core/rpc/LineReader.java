package dev.hearth.core.rpc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Splits a byte stream into {@code '\n'}-terminated lines of at most a given length, never holding
 * more than that in memory. Not thread-safe.
 */
public final class LineReader {
  /** What {@link #next()} found. */
  public enum Status {
    /** A complete line; {@link #line()} holds it without its {@code '\n'}. */
    LINE,
    /** The stream ended between lines. */
    EOF,
    /** The stream ended in the middle of a line, which is dropped. */
    EOF_MID_LINE,
    /** The line is longer than the limit; the reader must not be used any more. */
    TOO_LONG
  }

  private final InputStream in;
  private final int maxBytes;
  private final byte[] buffer = new byte[8192];
  private int position;
  private int limit;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private boolean lineComplete = true;

  public LineReader(InputStream in, int maxBytes) {
    this.in = in;
    this.maxBytes = maxBytes;
  }

  /**
   * Reads the next line; blocks until one is complete, the stream ends or a read times out. After a
   * timeout, the next call goes on with the partial line read so far.
   */
  public Status next() throws IOException {
    if (lineComplete) {
      line.reset();
      lineComplete = false;
    }
    while (true) {
      if (position == limit) {
        int n = in.read(buffer);
        if (n < 0) {
          return line.size() == 0 ? Status.EOF : Status.EOF_MID_LINE;
        }
        position = 0;
        limit = n;
      }
      int newline = indexOfNewline();
      int end = newline < 0 ? limit : newline;
      if (line.size() + end - position > maxBytes) {
        return Status.TOO_LONG;
      }
      line.write(buffer, position, end - position);
      position = newline < 0 ? limit : newline + 1;
      if (newline >= 0) {
        lineComplete = true;
        return Status.LINE;
      }
    }
  }

  /** The line that the last {@link #next()} returned with {@link Status#LINE}. */
  public byte[] line() {
    return line.toByteArray();
  }

  private int indexOfNewline() {
    for (int i = position; i < limit; i++) {
      if (buffer[i] == '\n') {
        return i;
      }
    }
    return -1;
  }
}
