package dev.hearth.fcproc.client;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Body of {@code PUT /logger}: where Firecracker writes its own log. The file (or named pipe) must
 * exist before the request.
 */
public record LoggerConfig(
    Path logPath,
    Optional<LogLevel> level,
    Optional<Boolean> showLevel,
    Optional<Boolean> showLogOrigin) {

  public LoggerConfig {
    requireNonNull(logPath, "logPath");
    requireNonNull(level, "level");
    requireNonNull(showLevel, "showLevel");
    requireNonNull(showLogOrigin, "showLogOrigin");
  }

  public LoggerConfig(Path logPath, LogLevel level) {
    this(logPath, Optional.of(level), Optional.empty(), Optional.empty());
  }
}
