package dev.hearth.core.rpc;

import java.util.Optional;

/** Decides whether a connected peer may use the daemon. */
@FunctionalInterface
public interface PeerAuthorizer {
  /**
   * Empty when the peer may use the daemon; otherwise why not and what to do about it, a message
   * for the peer.
   */
  Optional<String> refusal(PeerCredentials peer);
}
