package dev.hearth.fcproc.dns;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * A share of one of the VM DNS's bounded resources per source address (TCP connections, UDP
 * workers, questions upstream): at most {@code max} at once for any one source, so that one client
 * (a guest) that keeps them busy takes only its share of the server's slots, never all of them.
 * Like a semaphore per source: {@link #tryTake} never waits, and each slot taken is given back once
 * by {@link #release}.
 */
final class SourceSlots {
  private final String what;
  private final int max;
  private final Map<InetAddress, Integer> held = new HashMap<>();

  /**
   * @param what what a slot is, for the error of a release without a take ("TCP connection")
   * @param max the most slots one source holds at once
   */
  SourceSlots(String what, int max) {
    if (max < 1) {
      throw new IllegalArgumentException(
          "a source's share of " + what + "s must be positive: " + max);
    }
    this.what = what;
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
      throw new IllegalStateException(source + " holds no " + what + " slot of the VM DNS");
    }
    if (mine == 1) {
      held.remove(source);
    } else {
      held.put(source, mine - 1);
    }
  }
}
