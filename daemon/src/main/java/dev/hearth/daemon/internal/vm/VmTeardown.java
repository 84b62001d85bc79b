package dev.hearth.daemon.internal.vm;

import dev.hearth.core.Layout;
import dev.hearth.core.OrderedLock;
import dev.hearth.dmsnap.RootDisk;
import dev.hearth.fcproc.net.TapPool;
import dev.hearth.fcproc.process.FirecrackerProcess;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what a VM holds: its process, API socket, root disk and folder, then its egress rules,
 * TAP and row. Shared by a failed create's undo, delete and reconcile.
 */
final class VmTeardown {
  private static final Logger log = LoggerFactory.getLogger(VmTeardown.class);

  private final VmService.Parts parts;
  private final Layout layout;
  private final VmStore vms;
  private final TapPool tapPool;
  private final VmEgresses egresses;
  private final VmJail jail;

  VmTeardown(
      VmService.Parts parts, VmStore vms, TapPool tapPool, VmEgresses egresses, VmJail jail) {
    this.parts = parts;
    this.layout = parts.layout();
    this.vms = vms;
    this.tapPool = tapPool;
    this.egresses = egresses;
    this.jail = jail;
  }

  /**
   * Kills the process, releases its confinement (cgroup, uid), removes its socket, its jail, the
   * root disk and the VM's folder.
   */
  void removeResources(Vm vm, Optional<RootDisk> disk, Optional<FirecrackerProcess> process)
      throws InterruptedException {
    if (process.isPresent()) {
      process.get().kill();
    } else if (vm.process().isPresent()) {
      parts.adopter().adopt(vm.process().get(), parts.apiSocket(vm.id())).kill();
    }
    jail.release(vm);
    VmFiles.deleteQuietly(layout.vmApiSocket(vm.id()));
    // Before the disk: a bind-mounted disk device cannot be removed.
    VmService.jails(parts).remove(vm);
    Optional<RootDisk> recorded = disk.or(vm::rootDisk);
    if (recorded.isPresent()) {
      parts.provisioners().apply(recorded.get().kind()).remove(recorded.get());
    }
    VmFiles.deleteTree(layout.vmDir(vm.id()));
  }

  /**
   * Gives the VM's TAP back to the pool or deletes it, then deletes the row, freeing the name and
   * the address. The TAP is deleted before the row goes, so that no create can pick its name while
   * the device still exists.
   */
  void releaseReservation(Vm vm) throws InterruptedException {
    // Its egress rules are keyed by its address: gone before the address is free again.
    egresses.forget(vm);
    // Guard first: a TAP in the pool belongs to no VM, so nothing of this VM's may pass it.
    parts.network().unguardTap(vm.tap());
    boolean onHost = onHost(vm);
    try (OrderedLock.Held held = parts.locks().createVmLock().lock()) {
      if (onHost && tapPool.offer(vm.tap())) {
        vms.delete(vm.id());
        return;
      }
    }
    parts.network().deleteTap(vm.tap());
    try (OrderedLock.Held held = parts.locks().createVmLock().lock()) {
      vms.delete(vm.id());
    }
  }

  /**
   * Whether the VM's TAP is still a device on the host. Only such a TAP may go to the pool: the TAP
   * of a create that failed while making it is gone (the network deletes what it could not finish),
   * and every later create that took its name from the pool would fail on it.
   */
  private boolean onHost(Vm vm) throws InterruptedException {
    try {
      return parts.network().listTaps().contains(vm.tap());
    } catch (RuntimeException e) {
      log.warn(
          "cannot list the host's TAPs, so TAP {} of VM {} is deleted rather than pooled: {}",
          vm.tap(),
          vm.name(),
          e.getMessage());
      return false;
    }
  }
}
