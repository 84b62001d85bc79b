package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/**
 * The daemon as the vm and op commands use it: requests with JSON params and results, some of
 * them streaming notifications first. {@link ClientConnection} is the real one; tests pass their
 * own through {@link Environment#connector()}.
 */
interface DaemonConnection extends AutoCloseable {
  /**
   * Sends a request and waits for its result.
   *
   * @throws dev.hearth.daemon.RpcException when the daemon answers with an error
   * @throws dev.hearth.daemon.DaemonUnavailableException when the connection is lost
   */
  JsonNode call(String method, JsonNode params);

  /**
   * Sends a streaming request: every notification that arrives before the result goes to {@code
   * listener}, on the calling thread; then the result.
   */
  JsonNode call(String method, JsonNode params, NotificationListener listener);

  @Override
  void close();

  /** A notification the daemon sent while a streaming request ran. */
  @FunctionalInterface
  interface NotificationListener {
    void onNotification(String method, JsonNode params);
  }

  /** Opens a connection to the daemon at a socket. */
  @FunctionalInterface
  interface Connector {
    DaemonConnection connect(Path socket);
  }
}
