package dev.hearth.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A terminal for tests: scripted stdin bytes, captured stdout and stderr bytes, tty flags, a size
 * that a test can change (firing the resize actions), and a record of raw mode.
 */
final class FakeTerminal implements Terminal {
  private final InputStream stdin;
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private final boolean tty;
  private final List<Runnable> resizeActions = new ArrayList<>();
  private Size size;
  private int rawModeEntered;
  private int rawModeRestored;
  private boolean rawNow;

  /** Not a terminal: stdin is {@code input}. */
  FakeTerminal(byte[] input) {
    this(new ByteArrayInputStream(input), false, null);
  }

  /** A terminal of the given size reading {@code stdin}. */
  FakeTerminal(InputStream stdin, boolean tty, Size size) {
    this.stdin = stdin;
    this.tty = tty;
    this.size = size;
  }

  @Override
  public InputStream stdin() {
    return stdin;
  }

  @Override
  public OutputStream stdout() {
    return stdout;
  }

  @Override
  public OutputStream stderr() {
    return stderr;
  }

  @Override
  public boolean stdinIsTerminal() {
    return tty;
  }

  @Override
  public boolean stdoutIsTerminal() {
    return tty;
  }

  @Override
  public synchronized RawMode enterRawMode() {
    if (!tty) {
      throw new TerminalException("stty -F /dev/tty -g failed: no terminal");
    }
    rawModeEntered++;
    rawNow = true;
    boolean[] closed = {false};
    return () -> {
      synchronized (this) {
        if (!closed[0]) {
          closed[0] = true;
          rawModeRestored++;
          rawNow = false;
        }
      }
    };
  }

  @Override
  public synchronized Optional<Size> size() {
    return Optional.ofNullable(size);
  }

  @Override
  public synchronized Registration onResize(Runnable action) {
    resizeActions.add(action);
    return () -> {
      synchronized (this) {
        resizeActions.remove(action);
      }
    };
  }

  /** Changes the size and runs the resize actions, as SIGWINCH would. */
  void resize(Size newSize) {
    List<Runnable> actions;
    synchronized (this) {
      size = newSize;
      actions = List.copyOf(resizeActions);
    }
    actions.forEach(Runnable::run);
  }

  synchronized int resizeListeners() {
    return resizeActions.size();
  }

  byte[] out() {
    return stdout.toByteArray();
  }

  byte[] err() {
    return stderr.toByteArray();
  }

  synchronized int rawModeEntered() {
    return rawModeEntered;
  }

  synchronized int rawModeRestored() {
    return rawModeRestored;
  }

  synchronized boolean raw() {
    return rawNow;
  }
}
