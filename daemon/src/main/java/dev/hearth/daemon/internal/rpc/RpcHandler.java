package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.databind.JsonNode;

/** Serves one method: returns the result, or throws an {@link ErrorKind} error. */
@FunctionalInterface
public interface RpcHandler {
  JsonNode handle(Params params) throws InterruptedException;
}
