package dev.hearth.daemon.internal.vm;

import dev.hearth.core.OrderedLock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The daemon's VM and image locks: one per VM id, taken first; {@code createVmLock}, which
 * serialises name uniqueness, guest address and TAP allocation; and {@code imageOpsLock}, which
 * serialises image registry mutations. See {@link OrderedLock} for the order check.
 */
public final class VmLocks {
  private final ConcurrentMap<String, OrderedLock> vmLocks = new ConcurrentHashMap<>();
  private final OrderedLock createVmLock = new OrderedLock("createVmLock", OrderedLock.CREATE);
  // Same level as createVmLock: the two are never held together.
  private final OrderedLock imageOpsLock = new OrderedLock("imageOpsLock", OrderedLock.CREATE);

  /**
   * The lock of one VM. A lock dropped by {@link #forget} while another thread waits on it stays
   * valid for that thread, which then finds the VM gone when it reads the row.
   */
  public OrderedLock vm(String id) {
    return vmLocks.computeIfAbsent(id, i -> new OrderedLock("vmLocks[" + i + "]", OrderedLock.VM));
  }

  public OrderedLock createVmLock() {
    return createVmLock;
  }

  /** Serialises image registry mutations (register, promote, delete). */
  public OrderedLock imageOpsLock() {
    return imageOpsLock;
  }

  /** Drops a deleted VM's lock. */
  void forget(String id) {
    vmLocks.remove(id);
  }
}
