package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The image methods ({@code image.*}), served by the image registry. Each takes the request's
 * params and returns the result object, or throws an {@link ErrorKind} error.
 */
public interface ImageMethods {
  JsonNode register(Params params) throws InterruptedException;

  JsonNode list(Params params);

  JsonNode show(Params params);

  JsonNode delete(Params params);

  JsonNode promote(Params params) throws InterruptedException;
}
