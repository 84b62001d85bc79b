package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.OrderedLock;
import dev.hearth.daemon.internal.vm.VmLocks;
import org.junit.jupiter.api.Test;

/** The daemon's lock order as {@link VmLocks} sets it up on core's {@link OrderedLock}. */
class VmLocksTest {
  @Test
  void imageOpsLockComesAfterAVmLockAndNeverWithCreateVmLock() {
    VmLocks locks = new VmLocks();
    try (OrderedLock.Held a = locks.vm("a").lock();
        OrderedLock.Held b = locks.imageOpsLock().lock()) {
      assertThatThrownBy(() -> locks.createVmLock().lock())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("taking createVmLock")
          .hasMessageContaining("while holding imageOpsLock");
    }
    try (OrderedLock.Held held = locks.imageOpsLock().lock()) {
      assertThatThrownBy(() -> locks.vm("a").lock()).hasMessageContaining("taking vmLocks[a]");
    }
  }
}
