package dev.hearth.core;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A host command to run: an argv (never a shell string), extra environment, optional stdin bytes, a
 * working directory, a timeout and a cap on how much of each output stream is kept.
 */
public final class Command {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);
  public static final int DEFAULT_OUTPUT_CAP = 1 << 20;

  private final List<String> argv;
  private final Map<String, String> env;
  private final byte[] stdin;
  private final Path cwd;
  private final Duration timeout;
  private final int outputCap;

  private Command(Builder b) {
    this.argv = List.copyOf(b.argv);
    this.env = Map.copyOf(b.env);
    this.stdin = b.stdin;
    this.cwd = b.cwd;
    this.timeout = b.timeout;
    this.outputCap = b.outputCap;
  }

  /** A command with default timeout and output cap. */
  public static Command of(String program, String... args) {
    return builder(program).args(args).build();
  }

  public static Command of(List<String> argv) {
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("a command needs at least a program name");
    }
    return builder(argv.get(0)).args(argv.subList(1, argv.size())).build();
  }

  public static Builder builder(String program) {
    return new Builder(program);
  }

  public List<String> argv() {
    return argv;
  }

  /** Variables added to (or overriding) the runner's own environment. */
  public Map<String, String> env() {
    return env;
  }

  public Optional<byte[]> stdin() {
    return Optional.ofNullable(stdin).map(byte[]::clone);
  }

  public Optional<Path> cwd() {
    return Optional.ofNullable(cwd);
  }

  public Duration timeout() {
    return timeout;
  }

  /** Bytes kept of each of stdout and stderr; the rest is read and dropped. */
  public int outputCap() {
    return outputCap;
  }

  public Builder toBuilder() {
    Builder b = new Builder(argv.get(0)).args(argv.subList(1, argv.size()));
    b.env.putAll(env);
    b.stdin = stdin;
    b.cwd = cwd;
    b.timeout = timeout;
    b.outputCap = outputCap;
    return b;
  }

  @Override
  public String toString() {
    return display(argv);
  }

  /**
   * The argv as a person would type it, quoting words that need it ({@link ShellQuote#readable});
   * for messages only. An empty argv is "".
   */
  public static String display(List<String> argv) {
    return argv.isEmpty() ? "" : ShellQuote.readable(argv);
  }

  /** Builds a {@link Command}. */
  public static final class Builder {
    private final List<String> argv = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private byte[] stdin;
    private Path cwd;
    private Duration timeout = DEFAULT_TIMEOUT;
    private int outputCap = DEFAULT_OUTPUT_CAP;

    private Builder(String program) {
      requireNonNull(program, "program");
      if (program.isEmpty()) {
        throw new IllegalArgumentException("the program name is empty");
      }
      argv.add(requireNoNul("program name", program));
    }

    /** exec() takes C strings: a NUL byte would silently cut the value short. */
    private static String requireNoNul(String what, String value) {
      if (value.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            what + " '" + Printable.of(value) + "' contains a NUL character");
      }
      return value;
    }

    public Builder args(String... args) {
      return args(List.of(args));
    }

    public Builder args(List<String> args) {
      for (String a : args) {
        argv.add(requireNoNul("argument", requireNonNull(a, "argument")));
      }
      return this;
    }

    public Builder env(String name, String value) {
      requireNonNull(name, "name");
      requireNonNull(value, "value");
      if (name.isEmpty() || name.indexOf('=') >= 0) {
        throw new IllegalArgumentException(
            "environment variable name '" + Printable.of(name) + "' is empty or contains '='");
      }
      env.put(
          requireNoNul("environment variable name", name), requireNoNul("value of " + name, value));
      return this;
    }

    public Builder stdin(byte[] bytes) {
      this.stdin = bytes.clone();
      return this;
    }

    public Builder stdin(String text) {
      return stdin(text.getBytes(StandardCharsets.UTF_8));
    }

    public Builder cwd(Path dir) {
      this.cwd = requireNonNull(dir, "cwd");
      return this;
    }

    public Builder timeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    public Builder outputCap(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("output cap must not be negative: " + bytes);
      }
      this.outputCap = bytes;
      return this;
    }

    public Command build() {
      return new Command(this);
    }
  }
}
