package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.daemon.DaemonException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Connects a byte-streaming request to the terminal: output to stdout and stderr as it comes, stdin
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

  /** Runs the stream to its end and returns its result. */
  static JsonNode run(
      DaemonConnection daemon, String method, JsonNode params, Terminal terminal, Options options) {
    Terminal.RawMode raw = options.raw() ? terminal.enterRawMode() : null;
    try {
      DaemonConnection.Stream stream =
          daemon.openStream(method, params, (fd, data) -> write(terminal, fd, data));
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
          return stream.awaitResult();
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

  private static void resizeQuietly(DaemonConnection.Stream stream, Terminal.Size size) {
    try {
      stream.resize(size.cols(), size.rows());
    } catch (DaemonException e) {
      // The stream has ended or the connection is gone: awaitResult reports it.
    }
  }

  /**
   * Copies stdin to the stream on a daemon thread: a read of stdin cannot be interrupted, and a
   * command must be able to end while stdin stays open (a terminal nobody types in).
   */
  private static void startStdinPump(InputStream stdin, DaemonConnection.Stream stream) {
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
              } catch (IOException | DaemonException e) {
                // stdin failed or the stream has ended; awaitResult reports what matters.
              }
            },
            "hearth-stdin");
    pump.setDaemon(true);
    pump.start();
  }
}
