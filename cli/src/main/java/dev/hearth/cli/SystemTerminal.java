package dev.hearth.cli;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The real terminal: file descriptors 0, 1 and 2; {@code stty -F /dev/tty} for raw mode and the
 * size; SIGWINCH (through {@code sun.misc.Signal}, the JDK's only way to catch it) for size
 * changes.
 */
final class SystemTerminal implements Terminal {
  private static final Path TTY = Path.of("/dev/tty");
  private static final Pattern TERMINAL_DEVICE = Pattern.compile("/dev/(pts/\\d+|tty\\w*|console)");
  private static final Duration STTY_TIMEOUT = Duration.ofSeconds(10);

  private final Supplier<Runner> runnerFactory;
  private final Path procSelfFd;
  private Runner runner;
  private final InputStream stdin = new FileInputStream(FileDescriptor.in);
  private final OutputStream stdout = new FileOutputStream(FileDescriptor.out);
  private final OutputStream stderr = new FileOutputStream(FileDescriptor.err);

  /**
   * @param runnerFactory makes the runner of {@code stty}, once needed (most commands never are)
   * @param procSelfFd {@code /proc/self/fd}, whose links tell whether a descriptor is a terminal
   */
  SystemTerminal(Supplier<Runner> runnerFactory, Path procSelfFd) {
    this.runnerFactory = runnerFactory;
    this.procSelfFd = procSelfFd;
  }

  /** The real one: JNR for the process runner, {@code /proc/self/fd}. */
  static SystemTerminal system() {
    return new SystemTerminal(
        () -> new ProcessRunner(Posix.system(), Clock.system()), Path.of("/proc/self/fd"));
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
    return isTerminal(0);
  }

  @Override
  public boolean stdoutIsTerminal() {
    return isTerminal(1);
  }

  private boolean isTerminal(int fd) {
    try {
      Path target = Files.readSymbolicLink(procSelfFd.resolve(Integer.toString(fd)));
      return TERMINAL_DEVICE.matcher(target.toString()).matches();
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  @Override
  public RawMode enterRawMode() {
    String saved = stty("-g").stdout().trim();
    if (saved.isEmpty() || saved.contains(" ")) {
      throw new TerminalException(
          "stty -F /dev/tty -g printed no usable terminal state: '" + saved + "'");
    }
    AtomicBoolean restored = new AtomicBoolean();
    Runnable restore =
        () -> {
          if (restored.compareAndSet(false, true)) {
            stty(saved);
          }
        };
    Thread hook = new Thread(restore, "hearth-terminal-restore");
    Runtime.getRuntime().addShutdownHook(hook);
    RawMode mode =
        () -> {
          try {
            restore.run();
          } finally {
            try {
              Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
              // The JVM is exiting and runs the hook, which finds the state already restored.
            }
          }
        };
    try {
      stty("raw", "-echo");
    } catch (RuntimeException e) {
      mode.close();
      throw e;
    }
    return mode;
  }

  @Override
  public Optional<Size> size() {
    if (!Files.exists(TTY)) {
      return Optional.empty();
    }
    try {
      String[] rowsCols = stty("size").stdout().trim().split("\\s+");
      int rows = Integer.parseInt(rowsCols[0]);
      int cols = Integer.parseInt(rowsCols[1]);
      return rows > 0 && cols > 0 ? Optional.of(new Size(cols, rows)) : Optional.empty();
    } catch (TerminalException | NumberFormatException | ArrayIndexOutOfBoundsException e) {
      return Optional.empty();
    }
  }

  @Override
  public Registration onResize(Runnable action) {
    Signal winch = new Signal("WINCH");
    SignalHandler previous = Signal.handle(winch, signal -> action.run());
    return () -> Signal.handle(winch, previous);
  }

  private synchronized Runner runner() {
    if (runner == null) {
      runner = runnerFactory.get();
    }
    return runner;
  }

  private CommandResult stty(String... args) {
    Command command =
        Command.builder("stty")
            .args("-F", TTY.toString())
            .args(args)
            .timeout(STTY_TIMEOUT)
            .build();
    CommandResult result;
    try {
      result = runner().run(command);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TerminalException("interrupted while running " + command, e);
    }
    if (result.exitCode() != 0) {
      throw new TerminalException(
          command + " failed with exit code " + result.exitCode() + ": " + result.stderr().trim());
    }
    return result;
  }
}
