package dev.hearth.session;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Keeps bytes a guest produced (a script's output, a command's stderr) in memory up to a bound, and
 * refuses the write that would pass it with an {@link OutputLimitException} naming what was read
 * and the bound. Whoever pumps the guest's stream into it then stops the guest side: {@link
 * GuestExec} closes the channel when a write to its caller's stream fails, and MINA closes the
 * session when a channel's own output stream throws. So a guest that writes without end costs at
 * most the bound here, never the daemon's heap.
 *
 * <p>The one capture of guest bytes in memory in the daemon: every other guest stream is either
 * streamed to a client (flow-controlled, never held) or goes through one of these.
 */
public final class BoundedOutput extends OutputStream {
  private final String what;
  private final int limit;
  private byte[] kept = new byte[0];
  private int size;
  private OutputLimitException exceeded;

  /**
   * @param what what is read, for the error: "the stdout of the session list script in VM demo"
   * @param limit the most bytes kept; one more is an error
   */
  public BoundedOutput(String what, int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("a capture limit cannot be negative; got " + limit);
    }
    this.what = what;
    this.limit = limit;
  }

  @Override
  public void write(int b) throws OutputLimitException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  /**
   * Keeps the bytes, or as many as fit and throws: once past the bound every write throws, so that
   * a pump that ignores one failure still cannot fill memory.
   */
  @Override
  public synchronized void write(byte[] b, int off, int len) throws OutputLimitException {
    if (exceeded != null) {
      throw exceeded;
    }
    int room = limit - size;
    int n = Math.min(len, room);
    if (n > 0) {
      if (size + n > kept.length) {
        kept = Arrays.copyOf(kept, (int) Math.min(limit, Math.max(size + n, 2L * kept.length)));
      }
      System.arraycopy(b, off, kept, size, n);
      size += n;
    }
    if (len > room) {
      exceeded = new OutputLimitException(what, limit);
      throw exceeded;
    }
  }

  /** The bytes kept (all of them unless {@link #exceeded()}). */
  public synchronized byte[] bytes() {
    return Arrays.copyOf(kept, size);
  }

  /** The bytes kept as UTF-8 text. */
  public synchronized String text() {
    return new String(kept, 0, size, StandardCharsets.UTF_8);
  }

  /** Whether a write went past the bound. */
  public synchronized boolean exceeded() {
    return exceeded != null;
  }

  /** What is read, as the error names it. */
  public String what() {
    return what;
  }

  /** The most bytes this keeps. */
  public int limit() {
    return limit;
  }
}
