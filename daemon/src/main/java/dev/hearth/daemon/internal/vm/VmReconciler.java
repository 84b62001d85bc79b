package dev.hearth.daemon.internal.vm;

import dev.hearth.core.Layout;
import dev.hearth.core.Quarantine;
import dev.hearth.daemon.VmState;
import dev.hearth.dmsnap.DmsnapException;
import dev.hearth.dmsnap.ProvisionerKind;
import dev.hearth.dmsnap.RootDisk;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.TapGuest;
import dev.hearth.fcproc.net.TapPool;
import dev.hearth.fcproc.process.FirecrackerLauncher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconcile at daemon start (ARCHITECTURE.md, "VMs"): each row against its process, then the sweeps
 * of what belongs to no VM: TAPs, root-disk devices and unfinished copies, and API sockets are
 * removed; VM folders and disk files with data that no row lists are moved into the quarantine
 * folder instead, since a database that lost a row must not cost a VM its disk (ARCHITECTURE.md,
 * "Durability").
 */
final class VmReconciler {
  private static final Logger log = LoggerFactory.getLogger(VmReconciler.class);

  private final VmService.Parts parts;
  private final Layout layout;
  private final VmStore vms;
  private final TapPool tapPool;
  private final VmTeardown teardown;
  private final VmHooks hooks;
  private final Quarantine quarantine;

  private final VmEgresses egresses;
  private final VmJail jail;

  VmReconciler(
      VmService.Parts parts,
      VmStore vms,
      TapPool tapPool,
      VmTeardown teardown,
      VmHooks hooks,
      VmEgresses egresses,
      VmJail jail) {
    this.egresses = egresses;
    this.jail = jail;
    this.parts = parts;
    this.layout = parts.layout();
    this.vms = vms;
    this.tapPool = tapPool;
    this.teardown = teardown;
    this.hooks = hooks;
    this.quarantine = new Quarantine(layout, parts.clock(), parts.fileSync());
  }

  /**
   * Brings the store and the host into agreement after a daemon start, before anything is served:
   * VMs whose process still runs are running again (re-adopted); other started VMs are stopped; VMs
   * a crash caught in their create are undone and removed; the kept VMs' egress policies are
   * applied again and egress rules of addresses without a VM removed; TAPs, disk devices,
   * unfinished disk copies and API sockets that belong to no VM are removed (idle TAPs fill the
   * pool first); VM folders and disk files that no row lists are quarantined.
   */
  void reconcile() throws InterruptedException {
    List<Vm> all = vms.list();
    boolean dmInUse =
        all.stream().anyMatch(v -> v.provisioner().equals(ProvisionerKind.DM_SNAPSHOT.configName()))
            || parts.provisionerKind() == ProvisionerKind.DM_SNAPSHOT && !all.isEmpty();
    List<Vm> kept = new ArrayList<>();
    List<Vm> readopted = new ArrayList<>();
    List<Vm> foundDead = new ArrayList<>();
    for (Vm vm : all) {
      boolean alive = vm.process().map(p -> p.isAlive(parts.processTable())).orElse(false);
      switch (vm.state()) {
        case CREATING -> {
          log.warn(
              "VM {} ({}) was being created when the daemon stopped; removing it",
              vm.name(),
              vm.id());
          try {
            teardown.removeResources(vm, Optional.empty(), Optional.empty());
            teardown.releaseReservation(vm);
          } catch (RuntimeException e) {
            log.error("cannot remove the half-created VM {}; marking it error", vm.name(), e);
            Vm failed =
                vm.withState(VmState.ERROR)
                    .withProcess(Optional.empty())
                    .withError(
                        Optional.of(
                            "a daemon restart interrupted its create and its removal"
                                + " failed: "
                                + e.getMessage()
                                + "; delete it"));
            vms.update(failed);
            kept.add(failed);
          }
        }
        case STARTING -> {
          // A start a crash interrupted never waited for its guest: not adopted as running.
          if (alive) {
            try {
              parts.adopter().adopt(vm.process().get(), parts.apiSocket(vm.id())).kill();
            } catch (RuntimeException e) {
              log.warn("cannot kill the VMM of the interrupted start of {}", vm.name(), e);
            }
          }
          // State error carries the reason to callers; a VM in error can be started again.
          Vm now =
              vm.withState(VmState.ERROR)
                  .withProcess(Optional.empty())
                  .withError(Optional.of("a daemon restart interrupted its start; start it again"));
          vms.update(now);
          log.warn("VM {} ({}): its start was interrupted; marked error", vm.name(), vm.id());
          kept.add(now);
          if (alive) {
            foundDead.add(now);
          }
        }
        case RUNNING, STOPPING -> {
          Vm now =
              alive
                  ? vm.withState(VmState.RUNNING)
                  : vm.withState(VmState.STOPPED).withProcess(Optional.empty());
          vms.update(now);
          log.info(
              "VM {} ({}): {}",
              vm.name(),
              vm.id(),
              alive ? "re-adopted firecracker pid " + vm.process().get().pid() : "marked stopped");
          kept.add(now);
          (alive ? readopted : foundDead).add(now);
        }
        default -> {
          Vm now = vm.process().isPresent() && !alive ? vm.withProcess(Optional.empty()) : vm;
          if (now != vm) {
            vms.update(now);
          }
          kept.add(now);
        }
      }
    }
    List<ProvisionerKind> kinds =
        dmInUse
            ? List.of(ProvisionerKind.COPY, ProvisionerKind.DM_SNAPSHOT)
            : List.of(ProvisionerKind.COPY);
    killStrayVmms(kept);
    removeLeakedTaps(kept);
    egresses.reconcile(kept);
    removeLeakedDiskPieces(kept, kinds);
    quarantineUnknownFolders(kept);
    quarantineStrayDisks(kept, kinds);
    removeStaleSockets(kept);
    // Cgroups and uids of VMMs that no longer run (a crash, a guest gone meanwhile) are released.
    jail.sweep(
        kept,
        kept.stream()
            .filter(v -> v.state() == VmState.RUNNING)
            .map(Vm::id)
            .collect(Collectors.toSet()));
    removeStaleJails(kept);
    for (Vm vm : readopted) {
      hooks.started(vm);
    }
    for (Vm vm : foundDead) {
      hooks.stopped(vm);
    }
  }

  /**
   * Kills the VMMs of this daemon's VMs that are not running: a daemon killed after a spawn and
   * before it recorded the process left them unrecorded, holding the VM's API socket (so its next
   * start would fail) and its TAP. Found by their console logs under this daemon's VM folders.
   */
  private void killStrayVmms(List<Vm> kept) throws InterruptedException {
    Set<Path> running =
        kept.stream()
            .filter(v -> v.state() == VmState.RUNNING)
            .map(v -> layout.vmDir(v.id()).resolve(VmFiles.CONSOLE_LOG))
            .collect(Collectors.toSet());
    Path vmsDir = layout.vmsDir();
    try {
      List<Path> killed =
          FirecrackerLauncher.killStrays(
              parts.processTable(),
              parts.posix(),
              parts.clock(),
              console -> console.startsWith(vmsDir) && !running.contains(console));
      for (Path console : killed) {
        log.warn("killed a VMM that no row recorded (its console log: {})", console);
      }
    } catch (RuntimeException e) {
      log.warn("cannot kill the VMMs that no row recorded, so they stay: {}", e.getMessage());
    }
  }

  private void removeLeakedTaps(List<Vm> kept) throws InterruptedException {
    Set<String> used = kept.stream().map(Vm::tap).collect(Collectors.toSet());
    List<String> present;
    try {
      present = parts.network().listTaps();
    } catch (RuntimeException e) {
      log.warn("cannot list the host's TAP devices, so leaked ones stay: {}", e.getMessage());
      return;
    }
    guardKeptTaps(kept, present);
    for (String tap : present) {
      if (used.contains(tap)) {
        continue;
      }
      if (tapPool.offer(tap)) {
        try {
          parts.network().unguardTap(tap);
        } catch (RuntimeException e) {
          log.warn("cannot remove the guard of pooled TAP {}: {}", tap, e.getMessage());
        }
        continue;
      }
      try {
        parts.network().deleteTap(tap);
        log.info("removed leaked TAP {}", tap);
      } catch (RuntimeException e) {
        log.warn("cannot remove leaked TAP {}: {}", tap, e.getMessage());
      }
    }
  }

  /**
   * Guards the TAPs of the VMs kept (re-adopted or stopped) again, with the host rules in place: a
   * VM started by a hearth that did not guard TAPs would otherwise be cut off by the first {@code
   * ensure} (a hearth TAP without a guard sends nothing), and one that did is simply guarded again.
   */
  private void guardKeptTaps(List<Vm> kept, List<String> present) throws InterruptedException {
    List<Vm> onHost = kept.stream().filter(vm -> present.contains(vm.tap())).toList();
    if (onHost.isEmpty()) {
      return;
    }
    try {
      parts.network().ensure();
      for (Vm vm : onHost) {
        parts.network().guardTap(vm.tap(), new TapGuest(vm.mac(), Ipv4.parse(vm.ip())));
      }
    } catch (RuntimeException e) {
      log.warn("cannot guard the TAPs of the VMs kept: {}", e.getMessage());
    }
  }

  private void removeLeakedDiskPieces(List<Vm> kept, List<ProvisionerKind> kinds)
      throws InterruptedException {
    List<RootDisk> inUse = kept.stream().flatMap(v -> v.rootDisk().stream()).toList();
    // dmsnap lists every hearth-* device on the host: only a daemon that has made dm disks
    // looks for leaked ones, so that a daemon without any never touches another's devices.
    for (ProvisionerKind kind : kinds) {
      try {
        var removed = parts.provisioners().apply(kind).removeLeaked(layout, inUse);
        if (!removed.isEmpty()) {
          log.info("removed leaked {} disk pieces: {}", kind, removed);
        }
      } catch (DmsnapException e) {
        log.warn("cannot remove leaked {} disks: {}", kind, e.getMessage());
      }
    }
  }

  /** VM folders no row lists: moved aside whole (disk, logs), never deleted. */
  private void quarantineUnknownFolders(List<Vm> kept) {
    Set<String> ids = kept.stream().map(Vm::id).collect(Collectors.toSet());
    for (Path dir : VmFiles.children(layout.vmsDir())) {
      String name = dir.getFileName().toString();
      if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && !ids.contains(name)) {
        moveAside(dir, "vm-" + name, "the VM folder");
      }
    }
  }

  /** Disk files with data in a VM's folder that its row does not name (an error VM's, say). */
  private void quarantineStrayDisks(List<Vm> kept, List<ProvisionerKind> kinds) {
    List<RootDisk> inUse = kept.stream().flatMap(v -> v.rootDisk().stream()).toList();
    for (ProvisionerKind kind : kinds) {
      List<Path> stray;
      try {
        stray = parts.provisioners().apply(kind).strayDiskFiles(layout, inUse);
      } catch (DmsnapException e) {
        log.warn("cannot look for stray {} disk files: {}", kind, e.getMessage());
        continue;
      }
      for (Path file : stray) {
        moveAside(
            file,
            "disk-" + file.getParent().getFileName() + "-" + file.getFileName(),
            "the root disk");
      }
    }
  }

  private void moveAside(Path path, String label, String what) {
    try {
      Path moved = quarantine.moveAside(path, safeLabel(label));
      log.warn(
          "{} {} belongs to no VM in the database: moved it to {} (not deleted; `hearth doctor`"
              + " lists the quarantine)",
          what,
          path,
          moved);
    } catch (IOException | RuntimeException e) {
      log.warn("cannot quarantine {} {}, so it stays: {}", what, path, e.getMessage());
    }
  }

  /** A folder name from disk may hold anything: keep what a quarantine label allows. */
  private static String safeLabel(String label) {
    String safe = label.replaceAll("[^A-Za-z0-9._-]", "_");
    return safe.length() > 120 ? safe.substring(0, 120) : safe;
  }

  /**
   * Removes the jails (Firecracker's jailer) of VMs that are not running and of ids no row has: the
   * VMM of each is gone, so its mounts, folder and cgroup are leftovers.
   */
  private void removeStaleJails(List<Vm> kept) throws InterruptedException {
    Map<String, Vm> byId = kept.stream().collect(Collectors.toMap(Vm::id, v -> v));
    VmJails jails = VmService.jails(parts);
    Set<String> ids;
    try {
      ids = jails.jailedIds();
    } catch (RuntimeException e) {
      log.warn("cannot list the jails, so stale ones stay: {}", e.getMessage());
      return;
    }
    for (String id : ids) {
      Vm vm = byId.get(id);
      if (vm != null && vm.state() == VmState.RUNNING) {
        continue;
      }
      try {
        if (vm == null) {
          jails.removeOrphan(id);
        } else {
          jails.remove(vm);
        }
        log.info("removed the stale jail of {}", vm == null ? "unknown VM " + id : vm.name());
      } catch (RuntimeException e) {
        log.warn("cannot remove the stale jail of {}: {}", id, e.getMessage());
      }
    }
  }

  private void removeStaleSockets(List<Vm> kept) {
    Map<String, Vm> byId = kept.stream().collect(Collectors.toMap(Vm::id, v -> v));
    for (Path file : VmFiles.children(layout.vmSocketsDir())) {
      String name = file.getFileName().toString();
      if (!name.endsWith(".sock")) {
        continue;
      }
      Vm vm = byId.get(name.substring(0, name.length() - ".sock".length()));
      if (vm == null || vm.state() != VmState.RUNNING) {
        VmFiles.deleteQuietly(file);
        log.info("removed the stale API socket {}", file);
      }
    }
  }
}
