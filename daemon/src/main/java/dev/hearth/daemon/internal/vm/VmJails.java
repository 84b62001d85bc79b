package dev.hearth.daemon.internal.vm;

import dev.hearth.fcproc.process.Jailer;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jails of VMs started through Firecracker's jailer (ARCHITECTURE.md, "Firecracker's jailer"):
 * removed, with their mounts and cgroup, wherever a VM's process is gone for good (stop, kill, a
 * failed start, delete, reconcile), and the VM's own files given back to the daemon's user.
 */
final class VmJails {
  private static final Logger log = LoggerFactory.getLogger(VmJails.class);

  private final Jailer jailer;

  VmJails(Jailer jailer) {
    this.jailer = jailer;
  }

  /** Removes the VM's jail; a failure is logged (the next stop, delete or reconcile retries). */
  void removeQuietly(Vm vm) {
    try {
      remove(vm);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("cannot remove the jail of VM {} ({}): {}", vm.name(), vm.id(), e.getMessage());
    }
  }

  /** Removes the VM's jail, its mounts and its cgroup; nothing when it has none. */
  void remove(Vm vm) throws InterruptedException {
    jailer.remove(vm.id(), ownedFiles(vm));
  }

  /** Removes the jail of an id that no VM row has (left by a crash). */
  void removeOrphan(String id) throws InterruptedException {
    jailer.remove(id, List.of());
  }

  /** The ids of every jail on the host. */
  java.util.Set<String> jailedIds() {
    return jailer.jailedIds();
  }

  /**
   * The VM's files that a jail gives to the VM's user (see {@link VmBoot}): its disk. (Its log
   * files stay the daemon's: the VMM writes them through pipes in its jail.)
   */
  private static List<Path> ownedFiles(Vm vm) {
    return vm.rootDisk().map(d -> List.of(d.path())).orElse(List.of());
  }
}
