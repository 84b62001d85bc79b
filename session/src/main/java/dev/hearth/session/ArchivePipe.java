package dev.hearth.session;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bounded pipe from whoever receives a guest's archive (an SSH pump, a socket reader) to the
 * thread that unpacks it: at most {@link #CHUNKS} chunks wait, so a slow disk slows the guest
 * rather than filling memory. Unlike {@code PipedInputStream}, any thread may write, and the
 * reader's end can be marked gone, which makes writes fail with its reason instead of blocking.
 */
final class ArchivePipe {
  static final int CHUNKS = 16;
  private static final byte[] END = new byte[0];

  private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(CHUNKS);
  private volatile String readerGone;
  private volatile boolean closed;

  /** Writes copy their bytes into the pipe; close marks the end of the archive. */
  final OutputStream sink =
      new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          if (closed) {
            throw new IOException("the archive was already ended");
          }
          if (len > 0) {
            put(Arrays.copyOfRange(b, off, off + len));
          }
        }

        @Override
        public void close() throws IOException {
          if (!closed) {
            closed = true;
            put(END);
          }
        }
      };

  /** Reads what was written, then end of file once the sink is closed. */
  final InputStream source =
      new InputStream() {
        private byte[] current = new byte[0];
        private int at;
        private boolean ended;

        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          int n = read(one, 0, 1);
          return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (len == 0) {
            return 0;
          }
          while (at == current.length) {
            if (ended) {
              return -1;
            }
            try {
              current = chunks.take();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new InterruptedIOException("stopped while waiting for the archive");
            }
            at = 0;
            ended = current == END;
          }
          int n = Math.min(len, current.length - at);
          System.arraycopy(current, at, b, off, n);
          at += n;
          return n;
        }
      };

  /**
   * The reader stops reading: writes from now on (and those waiting) fail with {@code reason}, and
   * what waits in the pipe is dropped.
   */
  void readerGone(String reason) {
    readerGone = reason;
    chunks.clear();
  }

  private void put(byte[] chunk) throws IOException {
    try {
      while (true) {
        String gone = readerGone;
        if (gone != null) {
          throw new IOException(gone);
        }
        if (chunks.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("stopped while handing on the archive");
    }
  }
}
