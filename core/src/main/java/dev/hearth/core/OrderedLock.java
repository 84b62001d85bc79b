package dev.hearth.core;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A reentrant lock with a place in the daemon's lock order (ARCHITECTURE.md, "Daemon composition
 * and locks"): {@code vmLocks[id]} ({@link #VM}) before {@code createVmLock} or {@code
 * imageOpsLock} ({@link #CREATE}, never both) before leaf locks ({@link #LEAF}, such as fcproc's
 * TAP pool). Each thread's held locks are tracked, and taking a lock whose level is not higher than
 * that of a lock the thread already holds (other than taking the same lock again) throws {@link
 * IllegalStateException} naming both, before blocking. The check is always on: it costs a
 * thread-local lookup, and an inversion found in a test is a deadlock avoided in production. Two
 * locks of one level (two VMs' locks) are never held together.
 */
public final class OrderedLock {
  public static final int VM = 0;
  public static final int CREATE = 1;
  public static final int LEAF = 2;

  private static final ThreadLocal<Deque<OrderedLock>> HELD =
      ThreadLocal.withInitial(ArrayDeque::new);

  private final String name;
  private final int level;
  private final ReentrantLock lock = new ReentrantLock();

  public OrderedLock(String name, int level) {
    this.name = name;
    this.level = level;
  }

  public String name() {
    return name;
  }

  /** Takes the lock, waiting as long as it takes; use with try-with-resources. */
  public Held lock() {
    checkOrder();
    lock.lock();
    HELD.get().push(this);
    return new Held(this);
  }

  /** Whether the calling thread holds this lock. */
  public boolean heldByCurrentThread() {
    return lock.isHeldByCurrentThread();
  }

  private void checkOrder() {
    if (lock.isHeldByCurrentThread()) {
      return;
    }
    for (OrderedLock held : HELD.get()) {
      if (held.level >= level) {
        throw new IllegalStateException(
            "lock order violation: taking "
                + name
                + " (level "
                + level
                + ") while holding "
                + held.name
                + " (level "
                + held.level
                + "); the order is vmLocks[id] -> {createVmLock, imageOpsLock} -> leaf locks");
      }
    }
  }

  private void release() {
    Deque<OrderedLock> held = HELD.get();
    held.removeFirstOccurrence(this);
    if (held.isEmpty()) {
      HELD.remove();
    }
    lock.unlock();
  }

  /** A held lock; closing releases it. */
  public static final class Held implements AutoCloseable {
    private final OrderedLock owner;
    private boolean released;

    private Held(OrderedLock owner) {
      this.owner = owner;
    }

    @Override
    public void close() {
      if (!released) {
        released = true;
        owner.release();
      }
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
