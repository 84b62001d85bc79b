package dev.hearth.daemon.internal.workspace;

import dev.hearth.daemon.ImportProgress;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * An import's bundle as the transport reads it: reports the copy's percent of {@code size} as the
 * bytes go, and the {@code import} stage once the bundle has been read to its end (the guest then
 * fetches it and checks out). The same for the in-process and the remote transport, which both read
 * the bundle to its end before the guest's work.
 */
final class CopyProgressStream extends FilterInputStream {
  private final long size;
  private final ImportProgress progress;
  private long copied;
  private int reported = -1;
  private boolean ended;

  CopyProgressStream(InputStream bundle, long size, ImportProgress progress) {
    super(bundle);
    this.size = size;
    this.progress = progress;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b < 0) {
      end();
    } else {
      advance(1);
    }
    return b;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n = super.read(buffer, offset, length);
    if (n < 0) {
      end();
    } else {
      advance(n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = super.skip(n);
    advance(skipped);
    return skipped;
  }

  private void advance(long n) {
    copied += n;
    int percent = size <= 0 ? 100 : (int) Math.min(100, copied * 100 / size);
    if (percent != reported) {
      reported = percent;
      progress.update(ImportProgress.COPY, percent);
    }
  }

  private void end() {
    if (!ended) {
      ended = true;
      if (reported < 100) {
        progress.update(ImportProgress.COPY, 100);
      }
      progress.update(ImportProgress.IMPORT, -1);
    }
  }
}
