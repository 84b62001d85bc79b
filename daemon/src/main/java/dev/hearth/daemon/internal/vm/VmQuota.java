package dev.hearth.daemon.internal.vm;

import dev.hearth.core.ResourceLimits;
import dev.hearth.core.Sizes;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VmState;
import java.util.List;

/**
 * The resource limits of VMs (config keys {@code max_vm_*} and {@code max_total_*}), checked in the
 * one place every create and start goes through. VmSpec keeps the fixed ranges of a value (1 to 32
 * vCPUs...); this checks what the host's config allows. The totals are checked by the caller under
 * {@code createVmLock}, against the rows as they are then, so that two creates (or a create and a
 * start) cannot both pass the last room.
 *
 * <p>Memory and vCPUs count the VMs that are not stopped (stopped and error VMs hold neither); disk
 * counts every VM that exists, since a stopped VM keeps its disk.
 */
final class VmQuota {
  private final ResourceLimits limits;

  VmQuota(ResourceLimits limits) {
    this.limits = limits;
  }

  /**
   * The maxima of one VM.
   *
   * @throws HearthException invalid params naming the key, the value and the maximum
   */
  void checkOneVm(int vcpus, int memoryMib, long diskBytes) {
    if (vcpus > limits.maxVmVcpus()) {
      throw HearthException.invalid(
          "vcpus "
              + vcpus
              + " is above the maximum of one VM, "
              + limits.maxVmVcpus()
              + " (max_vm_vcpus; a create without --vcpus takes default_vcpus)");
    }
    if (memoryMib > limits.maxVmMemoryMib()) {
      throw HearthException.invalid(
          "memory_mib "
              + memoryMib
              + " is above the maximum of one VM, "
              + limits.maxVmMemoryMib()
              + " MiB (max_vm_memory_mib; a create without --memory takes default_memory_mib)");
    }
    if (diskBytes > limits.maxVmDiskBytes()) {
      throw HearthException.invalid(
          "disk_size "
              + Sizes.format(diskBytes)
              + " ("
              + diskBytes
              + " bytes) is above the maximum of one VM, "
              + Sizes.format(limits.maxVmDiskBytes())
              + " (max_vm_disk_size; a create without --disk-size takes the image's size)");
    }
  }

  /**
   * The host totals with one more VM; call under createVmLock with every VM row.
   *
   * @param running whether the new VM will run (a {@code no_start} create holds no memory once it
   *     is created, but does while it creates)
   * @throws HearthException precondition_failed naming the key, the request and what is in use
   */
  void checkCreate(List<Vm> vms, int vcpus, int memoryMib, long diskBytes, boolean running) {
    long diskInUse = vms.stream().mapToLong(Vm::diskSizeBytes).sum();
    if (diskInUse + diskBytes > limits.maxTotalDiskBytes()) {
      throw full(
          "max_total_disk",
          "a root disk of " + Sizes.format(diskBytes),
          Sizes.format(diskInUse) + " of the VMs' disks (" + vms.size() + " VMs, stopped included)",
          Sizes.format(limits.maxTotalDiskBytes()));
    }
    if (running) {
      checkRunning(vms, "", vcpus, memoryMib);
    }
  }

  /**
   * The host totals of memory and vCPUs with {@code vm} started; call under createVmLock with every
   * VM row.
   */
  void checkStart(List<Vm> vms, Vm vm) {
    checkRunning(vms, vm.id(), vm.vcpus(), vm.memoryMib());
  }

  private void checkRunning(List<Vm> vms, String exceptId, int vcpus, int memoryMib) {
    List<Vm> holding =
        vms.stream().filter(v -> holdsResources(v) && !v.id().equals(exceptId)).toList();
    long memoryInUse = holding.stream().mapToLong(Vm::memoryMib).sum();
    if (memoryInUse + memoryMib > limits.maxTotalMemoryMib()) {
      throw full(
          "max_total_memory_mib",
          memoryMib + " MiB of memory",
          memoryInUse + " MiB" + inUseBy(holding),
          limits.maxTotalMemoryMib() + " MiB");
    }
    long vcpusInUse = holding.stream().mapToLong(Vm::vcpus).sum();
    if (vcpusInUse + vcpus > limits.maxTotalVcpus()) {
      throw full(
          "max_total_vcpus",
          vcpus + " vCPUs",
          vcpusInUse + " vCPUs" + inUseBy(holding),
          Long.toString(limits.maxTotalVcpus()));
    }
  }

  private static boolean holdsResources(Vm vm) {
    return vm.state() != VmState.STOPPED && vm.state() != VmState.ERROR;
  }

  private static String inUseBy(List<Vm> holding) {
    return " (" + holding.size() + " VMs that are not stopped)";
  }

  private static HearthException full(String key, String requested, String inUse, String max) {
    return HearthException.preconditionFailed(
        "the host total "
            + key
            + " is "
            + max
            + ": "
            + inUse
            + " are in use, so "
            + requested
            + " more does not fit; stop or delete a VM, ask for less, or raise "
            + key
            + " in the config");
  }
}
