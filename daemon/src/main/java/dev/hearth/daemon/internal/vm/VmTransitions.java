package dev.hearth.daemon.internal.vm;

import dev.hearth.core.Layout;
import dev.hearth.core.OrderedLock;
import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.VmState;
import dev.hearth.fcproc.process.ProcessIdentity;
import java.util.Optional;

/** A VM row's state changes, each under the VM's lock. */
final class VmTransitions {
  private final Layout layout;
  private final VmStore vms;
  private final VmLocks locks;
  private final VmJail jail;
  private final VmJails jails;

  VmTransitions(Layout layout, VmStore vms, VmLocks locks, VmJail jail, VmJails jails) {
    this.layout = layout;
    this.vms = vms;
    this.locks = locks;
    this.jail = jail;
    this.jails = jails;
  }

  /**
   * Sets the state (and the process) under the VM's lock; no process removes its API socket,
   * releases its confinement (cgroup, uid) and removes its jail.
   */
  Vm transition(String id, VmState state, Optional<ProcessIdentity> process) {
    try (OrderedLock.Held held = locks.vm(id).lock()) {
      Vm vm =
          vms.find(id)
              .orElseThrow(() -> new DaemonException("VM " + id + " vanished during " + state))
              .withState(state)
              .withProcess(process);
      vms.update(vm);
      if (process.isEmpty()) {
        VmFiles.deleteQuietly(layout.vmApiSocket(vm.id()));
        jail.release(vm);
        jails.removeQuietly(vm);
      }
      return vm;
    }
  }
}
