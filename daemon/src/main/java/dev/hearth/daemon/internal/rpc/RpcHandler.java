package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.databind.JsonNode;

/** Serves one method: returns the result, or throws a {@link dev.hearth.daemon.HearthException}. */
@FunctionalInterface
public interface RpcHandler {
  JsonNode handle(Params params) throws InterruptedException;
}
