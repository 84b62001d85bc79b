package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/**
 * The daemon as the vm and op commands use it: requests with JSON params and results, some of them
 * streaming notifications first. {@link ClientConnection} is the real one; tests pass their own
 * through {@link Environment#connector()}.
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

  /**
   * Starts a request that streams bytes both ways ({@code vm.exec}, {@code vm.shell}, {@code
   * vm.copy}): output goes to {@code output} while {@link Stream#awaitResult()} runs.
   */
  Stream openStream(String method, JsonNode params, StreamOutput output);

  @Override
  void close();

  /** A byte-streaming request in flight; input may be sent from other threads. */
  interface Stream extends AutoCloseable {
    void write(byte[] data, int offset, int length);

    void closeInput();

    void resize(int cols, int rows);

    /** Reads the output to the end on this thread and returns the result. */
    JsonNode awaitResult();

    /** Cancels an unfinished stream (the connection closes). */
    @Override
    void close();
  }

  /** Output bytes of a stream: fd 1 stdout, 2 stderr. */
  @FunctionalInterface
  interface StreamOutput {
    void onOutput(int fd, byte[] data);
  }

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
