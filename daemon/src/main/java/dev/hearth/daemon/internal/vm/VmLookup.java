package dev.hearth.daemon.internal.vm;

import dev.hearth.core.Layout;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VmState;
import dev.hearth.fcproc.process.ProcessTable;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds VMs by name or id prefix, and records a running VM whose process has gone (the guest
 * powered off) as stopped when it is read.
 */
final class VmLookup {
  private static final Logger log = LoggerFactory.getLogger(VmLookup.class);

  private final Layout layout;
  private final VmStore vms;
  private final ProcessTable processTable;

  VmLookup(Layout layout, VmStore vms, ProcessTable processTable) {
    this.layout = layout;
    this.vms = vms;
    this.processTable = processTable;
  }

  /** Every VM by name, with VMs whose guest went down by itself shown as stopped. */
  List<Vm> list() {
    return vms.list().stream().map(this::refresh).toList();
  }

  /** The VM named {@code ref}, or the one whose id starts with it, refreshed. */
  Vm find(String ref) {
    return refresh(resolve(ref));
  }

  /** Whether the VM's process runs, for streams that end when it stops. */
  boolean isRunning(String id) {
    return vms.find(id).map(this::refresh).map(v -> v.state() == VmState.RUNNING).orElse(false);
  }

  /**
   * The VM named {@code ref}, or the one whose id starts with it, as stored.
   *
   * @throws HearthException not_found when none matches, invalid naming the candidates when several
   *     do
   */
  Vm resolve(String ref) {
    Optional<Vm> byName = vms.findByName(ref);
    if (byName.isPresent()) {
      return byName.get();
    }
    if (!ref.matches("[0-9a-f]{1,16}")) {
      throw notFound(ref);
    }
    List<Vm> byId = vms.findByIdPrefix(ref);
    if (byId.isEmpty()) {
      throw notFound(ref);
    }
    if (byId.size() > 1) {
      throw HearthException.invalid(
          "id prefix '"
              + ref
              + "' matches "
              + byId.size()
              + " VMs: "
              + byId.stream()
                  .map(v -> v.id() + " (" + v.name() + ")")
                  .collect(Collectors.joining(", "))
              + "; give more of the id or the name");
    }
    return byId.get(0);
  }

  /** The row again, now that the caller holds the VM's lock; gone meanwhile is not_found. */
  Vm reload(String id, String ref) {
    return refresh(vms.find(id).orElseThrow(() -> notFound(ref)));
  }

  private static HearthException notFound(String ref) {
    return HearthException.notFound(
        "no VM named '" + ref + "' or with an id starting with it; see `hearth vm list`");
  }

  /** A running VM whose process has gone (the guest powered off) is recorded as stopped. */
  private Vm refresh(Vm vm) {
    if (vm.state() == VmState.RUNNING
        && vm.process().isPresent()
        && !vm.process().get().isAlive(processTable)) {
      if (vms.markExited(vm)) {
        log.info("VM {} ({}) went down by itself", vm.name(), vm.id());
        VmFiles.deleteQuietly(layout.vmApiSocket(vm.id()));
      }
      return vms.find(vm.id()).orElse(vm.withState(VmState.STOPPED).withProcess(Optional.empty()));
    }
    return vm;
  }
}
