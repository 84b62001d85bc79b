package dev.hearth.cli;

import dev.hearth.core.Printable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Where guest log bytes go ({@code vm logs}, {@code session logs}): to stdout as they are when
 * stdout is not a terminal or with {@code --raw}; on a terminal through core's {@link
 * Printable.TerminalFilter}, so that what a guest wrote cannot drive the user's terminal (escape
 * sequences, control characters).
 */
final class GuestLogOutput {
  private final OutputStream out;
  private final Printable.TerminalFilter filter;

  private GuestLogOutput(OutputStream out, Printable.TerminalFilter filter) {
    this.out = out;
    this.filter = filter;
  }

  static GuestLogOutput of(Terminal terminal, boolean raw) {
    boolean strip = !raw && terminal.stdoutIsTerminal();
    return new GuestLogOutput(terminal.stdout(), strip ? Printable.terminalFilter() : null);
  }

  void write(byte[] chunk) {
    emit(filter == null ? chunk : filter.filter(chunk));
  }

  /** Writes what the filter still holds (a split character at the very end). */
  void finish() {
    if (filter != null) {
      emit(filter.finish());
    }
  }

  void flush() {
    try {
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the output: " + e.getMessage(), e);
    }
  }

  private void emit(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the output: " + e.getMessage(), e);
    }
  }
}
