package dev.hearth.fcproc;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.Command;
import dev.hearth.core.CommandException;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Config;
import dev.hearth.core.Runner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The firecracker executable: where it is and which version it is. */
public final class FirecrackerBinary {
  static final String DEFAULT_NAME = "firecracker";
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

  /** Finds the binary from {@code firecracker_bin}, else on this process's PATH. */
  public static FirecrackerBinary discover(Config config, Runner runner) {
    String pathVariable = System.getenv("PATH");
    return discover(config.firecrackerBin(), pathVariable == null ? "" : pathVariable, runner);
  }

  /**
   * Finds the binary: the configured path when given (a bare name is looked up on PATH), else
   * {@code firecracker} on {@code pathVariable}.
   *
   * @throws FirecrackerBinaryException naming what was looked at
   */
  public static FirecrackerBinary discover(
      Optional<Path> configured, String pathVariable, Runner runner) {
    Optional<Path> explicit = configured.filter(p -> p.isAbsolute() || p.getNameCount() > 1);
    if (explicit.isPresent()) {
      Path p = explicit.get();
      if (!Files.isRegularFile(p)) {
        throw new FirecrackerBinaryException(
            "firecracker_bin " + p + " does not exist or is not a regular file");
      }
      if (!Files.isExecutable(p)) {
        throw new FirecrackerBinaryException("firecracker_bin " + p + " is not executable");
      }
      return new FirecrackerBinary(p, runner);
    }
    String name = configured.map(Path::toString).orElse(DEFAULT_NAME);
    List<Path> tried = new ArrayList<>();
    for (String dir : pathVariable.split(":")) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      tried.add(candidate);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return new FirecrackerBinary(candidate, runner);
      }
    }
    throw new FirecrackerBinaryException(
        "no executable '"
            + name
            + "' on PATH (looked in "
            + (tried.isEmpty() ? "nothing: PATH is empty" : tried.toString())
            + "); install Firecracker or set firecracker_bin in the config");
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
