package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The guest session methods ({@code session.*}), served by {@code internal.session}. The streaming
 * ones ({@code attach}, {@code logs}, {@code wait}) use {@link Params#stream()}.
 */
public interface SessionMethods {
  JsonNode start(Params params) throws InterruptedException;

  JsonNode list(Params params) throws InterruptedException;

  JsonNode attach(Params params) throws InterruptedException;

  JsonNode write(Params params) throws InterruptedException;

  JsonNode kill(Params params) throws InterruptedException;

  JsonNode waitFor(Params params) throws InterruptedException;

  JsonNode logs(Params params) throws InterruptedException;
}
