package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The methods that run things in a guest over SSH: {@code vm.exec}, {@code vm.shell} and {@code
 * vm.copy}. Each streams bytes both ways through {@link Params#stream()} and returns its result at
 * the end.
 */
public interface GuestMethods {
  JsonNode exec(Params params) throws InterruptedException;

  JsonNode shell(Params params) throws InterruptedException;

  JsonNode copy(Params params) throws InterruptedException;
}
