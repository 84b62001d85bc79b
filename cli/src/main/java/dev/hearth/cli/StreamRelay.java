package dev.hearth.cli;

import dev.hearth.daemon.GuestProcess;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.OutputSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Connects a guest command to the terminal: output to stdout and stderr as it comes, stdin
 * forwarded on a thread of its own (EOF sent at its end), optionally raw mode (always restored) and
 * window size changes. Used by {@code vm exec} and {@code vm ssh}.
 */
final class StreamRelay {
  /**
   * What to connect.
   *
   * @param forwardStdin send stdin to the guest; otherwise the guest's input ends at once
   * @param raw put the terminal in raw mode while the stream runs
   * @param forwardResize send the window size whenever it changes
   */
  record Options(boolean forwardStdin, boolean raw, boolean forwardResize) {}

  private static final int BUFFER_BYTES = 64 * 1024;

  private StreamRelay() {}

  /** Starts the guest command with its output going to {@code out}. */
  @FunctionalInterface
  interface Starter {
    GuestProcess start(OutputSink out) throws InterruptedException;
  }

  /** Runs the command to its end and returns its exit code. */
  static int run(Starter starter, Terminal terminal, Options options) throws InterruptedException {
    Terminal.RawMode raw = options.raw() ? terminal.enterRawMode() : null;
    try {
      GuestProcess stream = starter.start((fd, data) -> write(terminal, fd, data));
      try (stream) {
        Terminal.Registration resizes = null;
        if (options.forwardResize()) {
          resizes =
              terminal.onResize(() -> terminal.size().ifPresent(s -> resizeQuietly(stream, s)));
        }
        try {
          if (options.forwardStdin()) {
            startStdinPump(terminal.stdin(), stream);
          } else {
            stream.closeInput();
          }
          return stream.awaitExit();
        } finally {
          if (resizes != null) {
            resizes.close();
          }
        }
      }
    } finally {
      if (raw != null) {
        raw.close();
      }
    }
  }

  private static void write(Terminal terminal, int fd, byte[] data) {
    OutputStream out = fd == 2 ? terminal.stderr() : terminal.stdout();
    try {
      out.write(data);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the guest's output: " + e.getMessage(), e);
    }
  }

  private static void resizeQuietly(GuestProcess stream, Terminal.Size size) {
    try {
      stream.resize(size.cols(), size.rows());
    } catch (HearthException e) {
      // The command has ended or the connection is gone: awaitExit reports it.
    }
  }

  /**
   * Copies stdin to the stream on a daemon thread: a read of stdin cannot be interrupted, and a
   * command must be able to end while stdin stays open (a terminal nobody types in).
   */
  private static void startStdinPump(InputStream stdin, GuestProcess stream) {
    Thread pump =
        new Thread(
            () -> {
              byte[] buffer = new byte[BUFFER_BYTES];
              try {
                int n;
                while ((n = stdin.read(buffer)) >= 0) {
                  if (n > 0) {
                    stream.write(buffer, 0, n);
                  }
                }
                stream.closeInput();
              } catch (IOException | HearthException e) {
                // stdin failed or the command has ended; awaitExit reports what matters.
              }
            },
            "hearth-stdin");
    pump.setDaemon(true);
    pump.start();
  }
}
