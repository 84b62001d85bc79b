package dev.hearth.core.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Serves the requests {@link JsonRpcProtocol} has checked: the envelope is valid and {@code params}
 * is an object ({@code {}} when the request had none). This is where a server's methods live.
 */
@FunctionalInterface
public interface RequestHandler {
  /**
   * Serves one request and returns its result.
   *
   * @param sink where a streaming method sends its notifications ({@link NotificationSink#NONE} for
   *     a notification)
   * @param stream the request's byte streams; null when it cannot stream (no id, no connection)
   * @throws RpcError to answer with that error; any other RuntimeException is answered as {@link
   *     ProtocolError#INTERNAL} and logged with its stack trace
   */
  JsonNode handle(String method, ObjectNode params, NotificationSink sink, RequestStream stream)
      throws InterruptedException;

  /**
   * Whether {@code method} answers at once from memory: it never blocks, streams or takes passed
   * files. The server then runs it on its event loop, in arrival order and without a thread
   * hand-off (ARCHITECTURE.md, "RPC protocol"); a method that blocked there would hold up every
   * idle connection, so only a handful qualify ({@code daemon.ping}).
   */
  default boolean answersAtOnce(String method) {
    return false;
  }
}
