package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OrderedLockTest {
  private final OrderedLock vm = new OrderedLock("vmLocks[a]", OrderedLock.VM);
  private final OrderedLock otherVm = new OrderedLock("vmLocks[b]", OrderedLock.VM);
  private final OrderedLock create = new OrderedLock("createVmLock", OrderedLock.CREATE);
  private final OrderedLock leaf = new OrderedLock("tapPool", OrderedLock.LEAF);

  @Test
  void theDocumentedOrderAndReentryAreAllowed() {
    try (OrderedLock.Held a = vm.lock();
        OrderedLock.Held b = create.lock();
        OrderedLock.Held c = leaf.lock();
        OrderedLock.Held again = create.lock()) {
      assertThat(vm.heldByCurrentThread()).isTrue();
      assertThat(leaf.heldByCurrentThread()).isTrue();
    }
    assertThat(vm.heldByCurrentThread()).isFalse();
    assertThat(create.heldByCurrentThread()).isFalse();
  }

  @Test
  void anInversionThrowsNamingBothLocks() {
    try (OrderedLock.Held held = create.lock()) {
      assertThatThrownBy(vm::lock)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("taking vmLocks[a]")
          .hasMessageContaining("while holding createVmLock");
    }
    assertThat(vm.heldByCurrentThread()).isFalse();
    try (OrderedLock.Held held = leaf.lock()) {
      assertThatThrownBy(create::lock).hasMessageContaining("while holding tapPool");
    }
  }

  @Test
  void twoLocksOfOneLevelAreNeverHeldTogether() {
    try (OrderedLock.Held held = vm.lock()) {
      assertThatThrownBy(otherVm::lock)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("taking vmLocks[b]")
          .hasMessageContaining("while holding vmLocks[a]");
    }
    try (OrderedLock.Held held = otherVm.lock()) {
      assertThat(otherVm.heldByCurrentThread()).isTrue();
    }
  }
}
