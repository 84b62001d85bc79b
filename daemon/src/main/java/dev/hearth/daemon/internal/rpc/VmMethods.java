package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The VM and operation methods ({@code vm.*}, {@code op.*}), served by the VM lifecycle code. Each
 * takes the request's params and returns the result object, or throws an {@link ErrorKind} error;
 * the streaming ones send notifications through {@link Params#sink()} first.
 */
public interface VmMethods {
  JsonNode create(Params params) throws InterruptedException;

  JsonNode list(Params params) throws InterruptedException;

  JsonNode show(Params params) throws InterruptedException;

  JsonNode start(Params params) throws InterruptedException;

  JsonNode stop(Params params) throws InterruptedException;

  JsonNode kill(Params params) throws InterruptedException;

  JsonNode delete(Params params) throws InterruptedException;

  JsonNode logs(Params params) throws InterruptedException;

  /** {@code vm.egress}: the VM's policy and denials; with {@code policy}, changes it first. */
  JsonNode egress(Params params) throws InterruptedException;

  JsonNode opList(Params params);

  JsonNode opShow(Params params);

  JsonNode opWatch(Params params) throws InterruptedException;

  JsonNode opCancel(Params params);
}
