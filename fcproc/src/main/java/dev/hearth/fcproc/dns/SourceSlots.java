package dev.hearth.fcproc.dns;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * TCP connections of the VM DNS per source address: at most {@code max} at once for any one, so
 * that one client (a guest) that opens connections and keeps them busy takes only its share of the
 * server's slots, never all of them.
 */
final class SourceSlots {
  private final int max;
  private final Map<InetAddress, Integer> held = new HashMap<>();

  SourceSlots(int max) {
    this.max = max;
  }

  /** Takes a slot for {@code source}; false when it already holds its maximum. */
  synchronized boolean tryTake(InetAddress source) {
    int mine = held.getOrDefault(source, 0);
    if (mine >= max) {
      return false;
    }
    held.put(source, mine + 1);
    return true;
  }

  /** Gives back a slot that {@code source} took. */
  synchronized void release(InetAddress source) {
    int mine = held.getOrDefault(source, 0);
    if (mine <= 0) {
      throw new IllegalStateException(source + " holds no TCP slot of the VM DNS");
    }
    if (mine == 1) {
      held.remove(source);
    } else {
      held.put(source, mine - 1);
    }
  }
}
