package dev.hearth.core.rpc;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Who may take one more connection slot: at most {@code max} connections in all, at most {@code
 * perUid} for any one uid other than root, and the last {@code rootReserved} slots for root only.
 * So one user (a member of the socket group, say) who opens connections and never lets them go
 * fills only its own share, never another user's and never root's.
 */
final class ConnectionSlots {
  static final long ROOT = 0;

  private final RpcServer.Limits limits;
  private final Map<Long, Integer> byUid = new HashMap<>();
  private int total;

  ConnectionSlots(RpcServer.Limits limits) {
    this.limits = limits;
  }

  /** Takes a slot for the uid; empty when taken, else why not (a message for the peer). */
  synchronized Optional<String> tryAcquire(long uid) {
    int mine = byUid.getOrDefault(uid, 0);
    if (total >= limits.maxConnections()) {
      return Optional.of(
          "the daemon already serves its maximum of "
              + limits.maxConnections()
              + " connections (max_connections); try again later");
    }
    if (uid != ROOT) {
      int othersThanRoot = total - byUid.getOrDefault(ROOT, 0);
      int shared = limits.maxConnections() - limits.rootReservedConnections();
      if (mine >= limits.maxConnectionsPerUid()) {
        return Optional.of(
            "uid "
                + uid
                + " already has "
                + mine
                + " connections open, its maximum (max_connections_per_uid); close some or try"
                + " again later");
      }
      if (othersThanRoot >= shared) {
        return Optional.of(
            "the daemon already serves "
                + othersThanRoot
                + " connections of users other than root; the remaining "
                + limits.rootReservedConnections()
                + " are kept for root (root_reserved_connections); try again later");
      }
    }
    byUid.put(uid, mine + 1);
    total++;
    return Optional.empty();
  }

  /** Gives back a slot the uid took. */
  synchronized void release(long uid) {
    int mine = byUid.getOrDefault(uid, 0);
    if (mine <= 0) {
      throw new IllegalStateException("uid " + uid + " holds no connection slot");
    }
    if (mine == 1) {
      byUid.remove(uid);
    } else {
      byUid.put(uid, mine - 1);
    }
    total--;
  }

  synchronized int total() {
    return total;
  }
}
