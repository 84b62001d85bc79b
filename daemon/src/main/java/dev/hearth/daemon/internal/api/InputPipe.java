package dev.hearth.daemon.internal.api;

import dev.hearth.daemon.HearthException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The input of an in-process guest command: chunks written by the caller's threads, read by the
 * command's stdin pump. At most {@link #CAPACITY} chunks wait, so a writer faster than the guest
 * blocks (as a socket client does). Unlike {@link java.io.PipedInputStream} it does not care which
 * threads write and read.
 */
public final class InputPipe extends InputStream {
  static final int CAPACITY = 4;
  private static final byte[] EOF = new byte[0];

  private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(CAPACITY + 1);
  private volatile boolean closed;
  private byte[] current = new byte[0];
  private int offset;
  private boolean ended;

  /**
   * Queues a copy of the bytes; dropped once the input was closed or the reader is gone.
   *
   * @throws HearthException {@code cancelled} when interrupted while the pipe is full (the thread's
   *     interrupt flag stays set)
   */
  public void write(byte[] data, int off, int length) {
    if (length > 0 && !closed) {
      put(Arrays.copyOfRange(data, off, off + length));
    }
  }

  /** The end of the input, after what was written; interrupted, as {@link #write}. */
  public void end() {
    if (!closed) {
      closed = true;
      put(EOF);
    }
  }

  private void put(byte[] chunk) {
    try {
      chunks.put(chunk);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HearthException(HearthException.Kind.CANCELLED, "interrupted while writing", e);
    }
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (len == 0) {
      return 0;
    }
    while (offset == current.length) {
      if (ended) {
        return -1;
      }
      try {
        current = chunks.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
      offset = 0;
      if (current == EOF) {
        ended = true;
        return -1;
      }
    }
    int n = Math.min(len, current.length - offset);
    System.arraycopy(current, offset, b, off, n);
    offset += n;
    return n;
  }

  /** The reader is gone (the command ended): later writes are dropped instead of blocking. */
  @Override
  public void close() {
    closed = true;
    chunks.clear();
  }
}
