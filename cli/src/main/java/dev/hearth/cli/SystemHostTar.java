package dev.hearth.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@link HostTar} with the host's GNU tar, streaming through its stdout. */
final class SystemHostTar implements HostTar {
  private static final int STDERR_CAP = 16 * 1024;

  @Override
  public Packing pack(Path parent, String name) {
    TarProcess tar =
        TarProcess.start(List.of("tar", "-c", "-f", "-", "-C", parent.toString(), "--", name));
    return new Packing() {
      @Override
      public InputStream archive() {
        return tar.process.getInputStream();
      }

      @Override
      public void finish() throws InterruptedException {
        tar.await();
      }

      @Override
      public void close() {
        tar.kill();
      }
    };
  }

  /** A running tar whose stderr is collected (capped) on a thread of its own. */
  private static final class TarProcess {
    final Process process;
    final List<String> argv;
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    final Thread stderrReader;

    private TarProcess(Process process, List<String> argv) {
      this.process = process;
      this.argv = argv;
      this.stderrReader = new Thread(this::readStderr, "hearth-tar-stderr");
      stderrReader.setDaemon(true);
      stderrReader.start();
    }

    static TarProcess start(List<String> argv) {
      try {
        return new TarProcess(new ProcessBuilder(argv).start(), argv);
      } catch (IOException e) {
        throw new HostTarException(
            "cannot run " + String.join(" ", argv) + ": " + e.getMessage(), e);
      }
    }

    void await() throws InterruptedException {
      int code = process.waitFor();
      stderrReader.join();
      if (code != 0) {
        String message;
        synchronized (stderr) {
          message = stderr.toString(StandardCharsets.UTF_8).trim();
        }
        throw new HostTarException(
            String.join(" ", argv) + " failed with exit code " + code + ": " + message);
      }
    }

    void kill() {
      if (process.isAlive()) {
        process.destroyForcibly();
        try {
          process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    private void readStderr() {
      byte[] buffer = new byte[4096];
      try (InputStream in = process.getErrorStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          synchronized (stderr) {
            stderr.write(buffer, 0, Math.min(n, Math.max(0, STDERR_CAP - stderr.size())));
          }
        }
      } catch (IOException e) {
        // tar closed its stderr; its exit code tells the rest.
      }
    }
  }
}
