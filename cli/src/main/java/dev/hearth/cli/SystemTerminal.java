package dev.hearth.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * The real terminal: file descriptors 0, 1 and 2; {@code stty} on {@code /dev/tty} for raw mode and
 * the size; SIGWINCH (through {@code sun.misc.Signal}, the JDK's only way to catch it) for size
 * changes.
 */
final class SystemTerminal implements Terminal {
  private static final Path TTY = Path.of("/dev/tty");
  private static final Duration STTY_TIMEOUT = Duration.ofSeconds(10);
  private static final Pattern TERMINAL_DEVICE = Pattern.compile("/dev/(pts/\\d+|tty\\w*|console)");

  /**
   * Runs {@code stty ARGS} on the controlling terminal. Not core's Runner: that one starts each
   * command in a session of its own, which has no controlling terminal.
   */
  @FunctionalInterface
  interface Stty {
    /**
     * @return stty's stdout
     * @throws TerminalException naming the command, exit code and stderr when it fails
     */
    String run(List<String> args);
  }

  private final Stty stty;
  private final Path procSelfFd;
  private final InputStream stdin = new FileInputStream(FileDescriptor.in);
  private final OutputStream stdout = new FileOutputStream(FileDescriptor.out);
  private final OutputStream stderr = new FileOutputStream(FileDescriptor.err);

  /**
   * @param stty runs stty on the controlling terminal
   * @param procSelfFd {@code /proc/self/fd}, whose links tell whether a descriptor is a terminal
   */
  SystemTerminal(Stty stty, Path procSelfFd) {
    this.stty = stty;
    this.procSelfFd = procSelfFd;
  }

  /** The real one: stty with its stdin from {@code /dev/tty}, {@code /proc/self/fd}. */
  static SystemTerminal system() {
    return new SystemTerminal(SystemTerminal::sttyOnTty, Path.of("/proc/self/fd"));
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
    String saved = stty.run(List.of("-g")).trim();
    if (saved.isEmpty() || saved.contains(" ")) {
      throw new TerminalException("stty -g printed no usable terminal state: '" + saved + "'");
    }
    AtomicBoolean restored = new AtomicBoolean();
    Runnable restore =
        () -> {
          if (restored.compareAndSet(false, true)) {
            stty.run(List.of(saved));
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
      stty.run(List.of("raw", "-echo"));
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
      String[] rowsCols = stty.run(List.of("size")).trim().split("\\s+");
      int rows = Integer.parseInt(rowsCols[0]);
      int cols = Integer.parseInt(rowsCols[1]);
      return rows > 0 && cols > 0 ? Optional.of(new Size(cols, rows)) : Optional.empty();
    } catch (TerminalException | NumberFormatException | ArrayIndexOutOfBoundsException e) {
      return Optional.empty();
    }
  }

  /**
   * {@code sun.misc.Signal.handle(new Signal("WINCH"), handler)}, reached by reflection: javac's
   * warning on proprietary API cannot be suppressed, and the build compiles with -Werror. The class
   * is exported by the JDK's jdk.unsupported module, so no access rule is bent.
   */
  @Override
  public Registration onResize(Runnable action) {
    try {
      Class<?> signalClass = Class.forName("sun.misc.Signal");
      Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
      Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
      Object winch = signalClass.getConstructor(String.class).newInstance("WINCH");
      Object handler =
          Proxy.newProxyInstance(
              handlerClass.getClassLoader(),
              new Class<?>[] {handlerClass},
              (proxy, method, args) -> {
                switch (method.getName()) {
                  case "handle":
                    action.run();
                    return null;
                  case "equals":
                    return proxy == args[0];
                  case "hashCode":
                    return System.identityHashCode(proxy);
                  default:
                    return "SIGWINCH handler";
                }
              });
      Object previous = handle.invoke(null, winch, handler);
      return () -> {
        try {
          handle.invoke(null, winch, previous);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException("cannot restore the SIGWINCH handler", e);
        }
      };
    } catch (InvocationTargetException e) {
      // What Signal.handle throws itself, such as IllegalArgumentException for a signal in use.
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new IllegalStateException("cannot handle SIGWINCH", e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot handle SIGWINCH through sun.misc.Signal", e);
    }
  }

  private static String sttyOnTty(List<String> args) {
    List<String> argv = new ArrayList<>();
    argv.add("stty");
    argv.addAll(args);
    String command = String.join(" ", argv);
    try {
      Process process =
          new ProcessBuilder(argv)
              .redirectInput(TTY.toFile())
              .redirectError(ProcessBuilder.Redirect.PIPE)
              .start();
      process.getOutputStream().close();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(STTY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new TerminalException(command + " did not finish within " + STTY_TIMEOUT);
      }
      if (process.exitValue() != 0) {
        throw new TerminalException(
            command + " failed with exit code " + process.exitValue() + ": " + err.trim());
      }
      return out;
    } catch (IOException e) {
      throw new TerminalException("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TerminalException("interrupted while running " + command, e);
    }
  }
}
