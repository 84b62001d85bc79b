package dev.hearth.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * What an attached terminal types, turned into the session's input. A session has no terminal of
 * its own (its stdin is a FIFO), so in raw mode the CLI plays the line discipline: it echoes what
 * is typed, lets Backspace and Ctrl-U edit the line, and sends the line with a newline on Enter.
 * Ctrl-C drops the line and interrupts the session (a byte 3 in a FIFO would mean nothing to it).
 * Ctrl-P Ctrl-Q detaches (as with Docker); a Ctrl-P followed by anything else is typed as both
 * bytes. From a pipe (not a terminal) the bytes pass through unchanged and nothing detaches.
 */
final class AttachInput {
  static final int CTRL_P = 0x10;
  static final int CTRL_Q = 0x11;
  private static final int CTRL_C = 0x03;
  private static final int CTRL_U = 0x15;
  private static final int BACKSPACE = 0x08;
  private static final int DELETE = 0x7f;

  /** Why the input ended. */
  enum End {
    DETACH,
    EOF
  }

  private final boolean terminal;
  private final Consumer<byte[]> send;
  private final OutputStream echo;
  private final Runnable interrupt;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private boolean pendingCtrlP;

  /**
   * @param terminal whether the input is a terminal in raw mode (edit, echo, detach keys)
   * @param send receives each complete piece of input for the session
   * @param echo where typed characters are echoed (the terminal's stdout)
   * @param interrupt what Ctrl-C does (sends SIGINT to the session)
   */
  AttachInput(boolean terminal, Consumer<byte[]> send, OutputStream echo, Runnable interrupt) {
    this.terminal = terminal;
    this.send = send;
    this.echo = echo;
    this.interrupt = interrupt;
  }

  /** Reads {@code in} until the detach keys or its end. */
  End run(InputStream in) throws IOException {
    byte[] buffer = new byte[8192];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      if (!terminal) {
        if (n > 0) {
          send.accept(Arrays.copyOf(buffer, n));
        }
        continue;
      }
      for (int i = 0; i < n; i++) {
        if (type(buffer[i] & 0xff)) {
          return End.DETACH;
        }
      }
    }
    return End.EOF;
  }

  /** One typed byte; true when it completes the detach keys. */
  boolean type(int b) throws IOException {
    if (pendingCtrlP) {
      pendingCtrlP = false;
      if (b == CTRL_Q) {
        return true;
      }
      add(CTRL_P);
    }
    if (b == CTRL_P) {
      pendingCtrlP = true;
    } else if (b == '\r' || b == '\n') {
      line.write('\n');
      echo("\r\n".getBytes(StandardCharsets.US_ASCII));
      send.accept(line.toByteArray());
      line.reset();
    } else if (b == DELETE || b == BACKSPACE) {
      erase(1);
    } else if (b == CTRL_C) {
      line.reset();
      echo("^C\r\n".getBytes(StandardCharsets.US_ASCII));
      interrupt.run();
    } else if (b == CTRL_U) {
      erase(line.size());
    } else {
      add(b);
    }
    return false;
  }

  private void add(int b) throws IOException {
    line.write(b);
    if (b < 0x20) {
      echo(new byte[] {'^', (byte) (b + '@')});
    } else {
      echo(new byte[] {(byte) b});
    }
  }

  /** Erases up to {@code count} typed characters (a UTF-8 character counts once). */
  private void erase(int count) throws IOException {
    byte[] typed = line.toByteArray();
    int end = typed.length;
    for (int erased = 0; erased < count && end > 0; erased++) {
      int start = end - 1;
      while (start > 0 && (typed[start] & 0xc0) == 0x80) {
        start--; // continuation bytes of one UTF-8 character
      }
      int width = (typed[start] & 0xff) < 0x20 ? 2 : 1;
      echo("\b \b".repeat(width).getBytes(StandardCharsets.US_ASCII));
      end = start;
    }
    line.reset();
    line.write(typed, 0, end);
  }

  private void echo(byte[] bytes) throws IOException {
    synchronized (echo) {
      echo.write(bytes);
      echo.flush();
    }
  }
}
