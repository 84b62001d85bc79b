package dev.hearth.core.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/**
 * Where a streaming method sends its notifications: the connection the request came on, before the
 * final response. A write that fails means the client has gone; the method should then stop.
 */
public interface NotificationSink {
  /** A sink that drops everything, for requests that cannot stream (no connection, no id). */
  NotificationSink NONE =
      new NotificationSink() {
        @Override
        public void send(String method, JsonNode params) {}

        @Override
        public void keepAlive() {}
      };

  /** Sends {@code {"jsonrpc":"2.0","method":method,"params":params}}. */
  void send(String method, JsonNode params) throws IOException;

  /**
   * Sends an empty line, which clients skip, so that a stream with nothing to say still notices a
   * client that has gone away (the write fails).
   */
  void keepAlive() throws IOException;
}
