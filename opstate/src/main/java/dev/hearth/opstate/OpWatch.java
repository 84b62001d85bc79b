package dev.hearth.opstate;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A subscription to one operation's changes, from {@link Registry#watch}: the current snapshot
 * first, then one snapshot per change, in order, ending with the final one.
 *
 * <p>The registry never waits for a watcher. Each watch has a bounded queue; when it is full the
 * oldest queued snapshot is dropped ({@link #dropped()} counts them). The newest snapshot is never
 * dropped, so a slow watcher always sees the latest state and the final one, and the log lines it
 * missed can be told from {@link OpSnapshot#logCount()}.
 */
public final class OpWatch implements AutoCloseable {
  private final String opId;
  private final int capacity;
  private final Consumer<OpWatch> unsubscribe;
  // A leaf lock: taken under the registry's lock when a snapshot is offered, never the reverse.
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<OpSnapshot> queue = new ArrayDeque<>();
  private long dropped;
  private boolean done;
  private boolean closed;

  OpWatch(String opId, int capacity, Consumer<OpWatch> unsubscribe) {
    if (capacity < 1) {
      throw new IllegalArgumentException("a watch needs room for at least 1 snapshot: " + capacity);
    }
    this.opId = opId;
    this.capacity = capacity;
    this.unsubscribe = unsubscribe;
  }

  public String opId() {
    return opId;
  }

  /** Queues a snapshot, dropping the oldest queued one when full; never blocks for long. */
  void offer(OpSnapshot snapshot) {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      if (queue.size() == capacity) {
        queue.removeFirst();
        dropped++;
      }
      queue.addLast(snapshot);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The next snapshot, waiting up to {@code timeout} for one. Empty when the wait timed out, or at
   * once when the final snapshot was already returned or the watch is closed.
   */
  public Optional<OpSnapshot> next(Duration timeout) throws InterruptedException {
    long remaining = timeout.toNanos();
    lock.lockInterruptibly();
    try {
      while (queue.isEmpty()) {
        if (done || closed || remaining <= 0) {
          return Optional.empty();
        }
        remaining = changed.awaitNanos(remaining);
      }
      OpSnapshot next = queue.removeFirst();
      if (next.finished()) {
        done = true;
      }
      return Optional.of(next);
    } finally {
      lock.unlock();
    }
  }

  /** Whether the final snapshot has been returned by {@link #next}: nothing more will come. */
  public boolean done() {
    lock.lock();
    try {
      return done;
    } finally {
      lock.unlock();
    }
  }

  /** How many snapshots were dropped because this watcher fell behind. */
  public long dropped() {
    lock.lock();
    try {
      return dropped;
    } finally {
      lock.unlock();
    }
  }

  /** Stops the subscription; a thread blocked in {@link #next} returns what is queued, or empty. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    unsubscribe.accept(this);
  }
}
