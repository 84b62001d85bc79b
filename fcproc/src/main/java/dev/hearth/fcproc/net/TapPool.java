package dev.hearth.fcproc.net;

import dev.hearth.core.OrderedLock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * TAP devices that exist on the bridge but belong to no VM, kept for the next create so that it
 * skips creating one. Guarded by its own leaf lock.
 */
public final class TapPool {
  private final OrderedLock lock = new OrderedLock("tapPool", OrderedLock.LEAF);
  private final Deque<String> idle = new ArrayDeque<>();
  private final int capacity;

  /** A pool keeping at most {@code capacity} idle TAPs. */
  public TapPool(int capacity) {
    this.capacity = capacity;
  }

  /** An idle TAP, removed from the pool. */
  public Optional<String> take() {
    try (OrderedLock.Held held = lock.lock()) {
      return Optional.ofNullable(idle.pollFirst());
    }
  }

  /** Keeps the TAP when there is room; false when the caller must delete it. */
  public boolean offer(String tap) {
    try (OrderedLock.Held held = lock.lock()) {
      if (idle.size() >= capacity || idle.contains(tap)) {
        return idle.contains(tap);
      }
      idle.addLast(tap);
      return true;
    }
  }

  /** The idle TAPs, by name. */
  public Set<String> idle() {
    try (OrderedLock.Held held = lock.lock()) {
      return new TreeSet<>(idle);
    }
  }
}
