package dev.hearth.fcproc.server;

import dev.hearth.fcproc.client.LoggerConfig;
import dev.hearth.fcproc.client.MetricsConfig;
import dev.hearth.fcproc.client.NetworkInterface;
import java.util.Optional;

/**
 * What runs the guest behind a {@link FirecrackerApiServer}: the server validates every request
 * against the spec and keeps the pre-boot configuration; the backend is told only what a VMM must
 * act on. A method that cannot do what was asked throws {@link FirecrackerBackendException}, whose
 * message becomes the 400 answer's {@code fault_message}.
 */
public interface FirecrackerBackend {
  /**
   * The fault message for a valid operation this backend does not implement, e.g. {@code PUT
   * /snapshot/create}; empty to let the server answer it (GETs it does not model: 400, others:
   * 204). Only operations the server does not handle itself are asked about.
   *
   * @param operation {@code METHOD /template} as in the spec
   */
  Optional<String> unsupported(String operation);

  /**
   * The fault message for a network interface this backend cannot give the guest as asked (e.g.
   * with rate limiters it has no way to apply); empty to accept it.
   */
  default Optional<String> refuses(NetworkInterface nic) {
    return Optional.empty();
  }

  /** The logger was configured ({@code PUT /logger}); its file exists. */
  default void loggerConfigured(LoggerConfig logger) {}

  /** The metrics were configured ({@code PUT /metrics}); their file exists. */
  default void metricsConfigured(MetricsConfig metrics) {}

  /** Boots the guest ({@code InstanceStart}); returns once it runs. */
  void instanceStart(VmSetup setup) throws InterruptedException;

  /**
   * Asks the guest to shut down ({@code SendCtrlAltDel}).
   *
   * @return what to do once the 204 answer has been written (e.g. exit as the guest went down)
   */
  Runnable sendCtrlAltDel() throws InterruptedException;

  /** {@code PATCH /vm} with {@code Paused}; the server tracks the state. */
  default void pause() throws InterruptedException {}

  /** {@code PATCH /vm} with {@code Resumed}. */
  default void resume() throws InterruptedException {}

  /** {@code FlushMetrics}: write the metrics now; the metrics file was configured before. */
  default void flushMetrics(MetricsConfig metrics) {}
}
