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
   * Records the state (and the process) that the VM has reached, under the VM's lock; no process
   * removes its API socket, releases its confinement (cgroup, uid) and removes its jail. When the
   * database refuses the row (a full disk), the state is kept for reads ({@link
   * VmStore#keepUnrecorded}) and the release still done, then the failure is thrown: the VM does
   * not stay {@code starting} or {@code stopping} for lack of room to say it has ended.
   */
  Vm transition(String id, VmState state, Optional<ProcessIdentity> process) {
    try (OrderedLock.Held held = locks.vm(id).lock()) {
      Vm vm =
          vms.find(id)
              .orElseThrow(() -> new DaemonException("VM " + id + " vanished during " + state))
              .withState(state)
              .withProcess(process);
      RuntimeException unrecorded = null;
      try {
        vms.update(vm);
      } catch (RuntimeException e) {
        vms.keepUnrecorded(vm);
        unrecorded = e;
      }
      if (process.isEmpty()) {
        try {
          VmFiles.deleteQuietly(layout.vmApiSocket(vm.id()));
          jail.release(vm);
          jails.removeQuietly(vm);
        } catch (RuntimeException e) {
          if (unrecorded == null) {
            throw e;
          }
          unrecorded.addSuppressed(e);
        }
      }
      if (unrecorded != null) {
        throw unrecorded;
      }
      return vm;
    }
  }
}
