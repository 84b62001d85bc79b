package dev.hearth.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/**
 * The process's standard streams as bytes, and the controlling terminal behind them: whether stdin
 * and stdout are terminals, raw mode, the window size and its changes. {@link SystemTerminal} is
 * the real one; tests use a fake.
 */
interface Terminal {
  /** Standard input as bytes (what {@code vm exec} forwards to the guest). */
  InputStream stdin();

  /** Standard output as bytes (what a guest command writes to its stdout). */
  OutputStream stdout();

  /** Standard error as bytes. */
  OutputStream stderr();

  boolean stdinIsTerminal();

  boolean stdoutIsTerminal();

  /**
   * Puts the controlling terminal in raw mode (no echo, no line editing, no signals from keys:
   * every byte goes to the guest). Closing the result restores the state saved before; so does a
   * JVM shutdown hook, should the process end first.
   *
   * @throws TerminalException when the terminal's state cannot be read or changed
   */
  RawMode enterRawMode();

  /** The terminal's size, when there is a terminal whose size is known. */
  Optional<Size> size();

  /** Runs {@code action} (on another thread) each time the window size changes, until closed. */
  Registration onResize(Runnable action);

  /** A terminal size in character cells. */
  record Size(int cols, int rows) {}

  /** Raw mode while open; close restores the saved state (once, whatever the number of calls). */
  interface RawMode extends AutoCloseable {
    @Override
    void close();
  }

  /** Stops a notification. */
  interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  /** The terminal could not be read or changed; the message names the command and its error. */
  final class TerminalException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TerminalException(String message) {
      super(message);
    }

    TerminalException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
