package dev.hearth.fcproc;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.Command;
import dev.hearth.core.CommandException;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import java.nio.file.Path;
import java.time.Duration;

/** A firecracker executable and its version ({@link VmmSelector} finds it). */
public final class FirecrackerBinary {
  static final Duration VERSION_TIMEOUT = Duration.ofSeconds(10);

  private final Path path;
  private final Runner runner;

  private FirecrackerBinary(Path path, Runner runner) {
    this.path = path;
    this.runner = runner;
  }

  /** Uses a known binary path as is (no existence check). */
  public static FirecrackerBinary at(Path path, Runner runner) {
    return new FirecrackerBinary(requireNonNull(path, "path"), requireNonNull(runner, "runner"));
  }

  public Path path() {
    return path;
  }

  /**
   * Runs {@code <bin> --version} and parses {@code Firecracker vX.Y.Z}.
   *
   * @throws FirecrackerBinaryException when it fails or prints no version
   */
  public FirecrackerVersion version() throws InterruptedException {
    CommandResult result;
    try {
      result =
          runner.run(
              Command.builder(path.toString()).args("--version").timeout(VERSION_TIMEOUT).build());
    } catch (CommandException e) {
      throw new FirecrackerBinaryException(
          "cannot run firecracker binary " + path + ": " + e.getMessage(), e);
    }
    if (!result.ok()) {
      throw new FirecrackerBinaryException(
          "`"
              + path
              + " --version` exited with code "
              + result.exitCode()
              + (result.stderr().isBlank() ? "" : ": " + result.stderr().strip()));
    }
    return FirecrackerVersion.parse(result.stdout())
        .orElseThrow(
            () ->
                new FirecrackerBinaryException(
                    "`"
                        + path
                        + " --version` printed no 'Firecracker vX.Y.Z' line: '"
                        + result.stdout().strip()
                        + "'"));
  }

  /**
   * The version, checked to be one hearth can drive.
   *
   * @throws FirecrackerBinaryException when unsupported, naming the path and both versions
   */
  public FirecrackerVersion requireSupportedVersion() throws InterruptedException {
    FirecrackerVersion v = version();
    if (!v.isSupported()) {
      throw new FirecrackerBinaryException(
          "firecracker binary "
              + path
              + " is v"
              + v
              + "; hearth needs v"
              + FirecrackerVersion.MINIMUM.major()
              + ".x, at least v"
              + FirecrackerVersion.MINIMUM
              + " (tested with v"
              + FirecrackerVersion.TESTED
              + ")");
    }
    return v;
  }

  @Override
  public String toString() {
    return path.toString();
  }
}
