package dev.hearth.daemon;

import java.util.Optional;

/**
 * Raw JSON-RPC access to a daemon, for tools that take a method and params from a person (such as
 * {@code hearth rpc}). It is an escape hatch, not the API: only the hearth of {@link
 * Hearth#connect} offers it ({@code hearth instanceof RawRpc}); in-process there is no wire to
 * speak. Errors are {@link HearthException}s as everywhere else.
 */
public interface RawRpc {
  /**
   * Sends one request and waits for its result; notifications it streams first are skipped.
   *
   * @param paramsJson the params as JSON text; none when empty
   * @return the result as JSON text, as the daemon sent it
   * @throws HearthException {@code invalid} when {@code paramsJson} is not JSON, else what the
   *     daemon answered
   */
  String call(String method, Optional<String> paramsJson);
}
