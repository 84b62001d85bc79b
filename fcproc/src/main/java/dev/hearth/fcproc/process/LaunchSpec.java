package dev.hearth.fcproc.process;

import static java.util.Objects.requireNonNull;

import dev.hearth.fcproc.internal.ApiIds;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What {@link FirecrackerLauncher#spawn} starts.
 *
 * @param instanceId firecracker's {@code --id}: 1 to 64 letters, digits and '-'
 * @param apiSocket where firecracker serves its API; a stale file there is removed first
 * @param consoleLog where the serial console (firecracker's stdout and stderr) goes
 * @param consoleLogMaxBytes the most the console log (with its one rotated file) may hold
 * @param socketTimeout how long to wait for the API socket to accept connections
 * @param vmmLog where the VMM's own log goes (firecracker's logger), through {@link
 *     FirecrackerLauncher#pipe}
 * @param metrics where the VMM's metrics go, through {@link FirecrackerLauncher#pipe}
 * @param vmmLogMaxBytes the most each of {@code vmmLog} and {@code metrics} (with its one rotated
 *     file) may hold
 * @param jailer the jailer's command line when firecracker is started through the jailer (then
 *     {@code apiSocket} is where its socket inside the jail is on the host)
 */
public record LaunchSpec(
    String instanceId,
    Path apiSocket,
    Path consoleLog,
    long consoleLogMaxBytes,
    Duration socketTimeout,
    Path vmmLog,
    Path metrics,
    long vmmLogMaxBytes,
    Optional<JailerCommand> jailer) {

  /** Firecracker started directly, without the jailer. */
  public LaunchSpec(
      String instanceId,
      Path apiSocket,
      Path consoleLog,
      long consoleLogMaxBytes,
      Duration socketTimeout,
      Path vmmLog,
      Path metrics,
      long vmmLogMaxBytes) {
    this(
        instanceId,
        apiSocket,
        consoleLog,
        consoleLogMaxBytes,
        socketTimeout,
        vmmLog,
        metrics,
        vmmLogMaxBytes,
        Optional.empty());
  }

  public LaunchSpec {
    if (instanceId == null || !ApiIds.INSTANCE_ID.matcher(instanceId).matches()) {
      throw new IllegalArgumentException(
          "invalid firecracker --id '" + instanceId + "': use 1 to 64 letters, digits and '-'");
    }
    requireNonNull(apiSocket, "apiSocket");
    requireNonNull(consoleLog, "consoleLog");
    if (consoleLogMaxBytes < 2) {
      throw new IllegalArgumentException(
          "console log cap must be at least 2 bytes, got " + consoleLogMaxBytes);
    }
    requireNonNull(vmmLog, "vmmLog");
    requireNonNull(metrics, "metrics");
    if (vmmLogMaxBytes < 2) {
      throw new IllegalArgumentException(
          "VMM log cap must be at least 2 bytes, got " + vmmLogMaxBytes);
    }
    if (socketTimeout.isNegative() || socketTimeout.isZero()) {
      throw new IllegalArgumentException("socket timeout must be positive: " + socketTimeout);
    }
    if (jailer.isPresent() && !jailer.get().id().equals(instanceId)) {
      throw new IllegalArgumentException(
          "the jailer's --id " + jailer.get().id() + " is not the instance id " + instanceId);
    }
  }

  /**
   * The named pipe the VMM writes its log through, as the host sees it: next to {@link #vmmLog}
   * ({@link FirecrackerLauncher#pipe}), or in the jail's root for a jailed VMM, which sees nothing
   * outside its jail. The spawn makes it; a capper reads it into {@link #vmmLog}.
   */
  public Path vmmLogPipe() {
    return pipeOf(vmmLog);
  }

  /** The same for the metrics. */
  public Path metricsPipe() {
    return pipeOf(metrics);
  }

  /** The log path to give the VMM over its API ({@code PUT /logger}): its view of the pipe. */
  public Path vmmLogTarget() {
    return vmmView(vmmLogPipe());
  }

  /** The metrics path to give the VMM over its API ({@code PUT /metrics}). */
  public Path metricsTarget() {
    return vmmView(metricsPipe());
  }

  private Path pipeOf(Path log) {
    Path pipe = FirecrackerLauncher.pipe(log);
    return jailer.map(j -> j.root().resolve(pipe.getFileName().toString())).orElse(pipe);
  }

  private Path vmmView(Path pipe) {
    return jailer.isPresent() ? Path.of("/").resolve(pipe.getFileName().toString()) : pipe;
  }
}
