package dev.hearth.daemon.internal.api;

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

  /** Queues a copy of the bytes; dropped once the input was closed or the reader is gone. */
  public void write(byte[] data, int off, int length) throws InterruptedException {
    if (length > 0 && !closed) {
      chunks.put(Arrays.copyOfRange(data, off, off + length));
    }
  }

  /** The end of the input, after what was written. */
  public void end() throws InterruptedException {
    if (!closed) {
      closed = true;
      chunks.put(EOF);
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
