package dev.hearth.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** QEMU's stderr: copied on as it comes, with its end kept to quote in failure messages. */
final class QemuStderr {
  static final int TAIL_CHARS = 2048;

  private final OutputStream copy;
  private final StringBuilder tail = new StringBuilder();

  /**
   * @param copy where QEMU's stderr goes on (the launcher's stderr)
   */
  QemuStderr(OutputStream copy) {
    this.copy = copy;
  }

  /** Starts a daemon thread copying {@code err} until it ends. */
  Thread pump(InputStream err) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[4096];
              try {
                int n;
                while ((n = err.read(buffer)) >= 0) {
                  synchronized (tail) {
                    tail.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    if (tail.length() > TAIL_CHARS) {
                      tail.delete(0, tail.length() - TAIL_CHARS);
                    }
                  }
                  copy.write(buffer, 0, n);
                  copy.flush();
                }
              } catch (IOException e) {
                // QEMU is gone, or our stderr is: nothing more to copy.
              }
            },
            "qemu-stderr");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** "; its stderr ends with: ..." on one line, or nothing when QEMU printed nothing. */
  String suffix() {
    String end;
    synchronized (tail) {
      end = tail.toString().strip();
    }
    return end.isEmpty() ? "" : "; its stderr ends with: " + end.replace('\n', ' ');
  }
}
