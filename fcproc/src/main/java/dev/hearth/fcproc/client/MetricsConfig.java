package dev.hearth.fcproc.client;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/** Body of {@code PUT /metrics}. The file (or named pipe) must exist before the request. */
public record MetricsConfig(Path metricsPath) {

  public MetricsConfig {
    requireNonNull(metricsPath, "metricsPath");
  }
}
