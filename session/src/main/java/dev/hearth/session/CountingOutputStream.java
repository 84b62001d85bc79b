package dev.hearth.session;

import java.io.IOException;
import java.io.OutputStream;

/** Passes bytes on and counts them: how far a session log's read got. */
final class CountingOutputStream extends OutputStream {
  private final OutputStream out;
  long count;

  CountingOutputStream(OutputStream out) {
    this.out = out;
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    count += len;
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }
}
