package dev.hearth.daemon.internal.vm;

import dev.hearth.daemon.VmState;
import dev.hearth.dmsnap.RootDisk;
import dev.hearth.fcproc.VmmKind;
import dev.hearth.fcproc.process.ProcessIdentity;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One VM as stored in the {@code vms} table.
 *
 * @param process the firecracker process, while one runs
 * @param rootDisk the root disk, once the rootfs stage made it
 * @param error why the VM is in state error
 * @param vmm what ran it at its last boot (none before the first)
 */
public record Vm(
    String id,
    String name,
    VmState state,
    String ip,
    String mac,
    String tap,
    String image,
    int vcpus,
    int memoryMib,
    long diskSizeBytes,
    String provisioner,
    Instant createdAt,
    Optional<ProcessIdentity> process,
    Optional<RootDisk> rootDisk,
    Optional<String> error,
    String bootArgs,
    Optional<VmmKind> vmm) {

  public Vm {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(process, "process");
    Objects.requireNonNull(rootDisk, "rootDisk");
    Objects.requireNonNull(error, "error");
    Objects.requireNonNull(vmm, "vmm");
  }

  public Vm withState(VmState newState) {
    return change(newState, diskSizeBytes, process, rootDisk, error, vmm);
  }

  public Vm withProcess(Optional<ProcessIdentity> newProcess) {
    return change(state, diskSizeBytes, newProcess, rootDisk, error, vmm);
  }

  /** The root disk the rootfs stage made, and its size as the VM's disk size. */
  public Vm withRootDisk(RootDisk disk) {
    return change(state, disk.sizeBytes(), process, Optional.of(disk), error, vmm);
  }

  public Vm withVmm(VmmKind newVmm) {
    return change(state, diskSizeBytes, process, rootDisk, error, Optional.of(newVmm));
  }

  public Vm withError(Optional<String> newError) {
    return change(state, diskSizeBytes, process, rootDisk, newError, vmm);
  }

  /** A copy with the fields the lifecycle changes; what the VM was created with stays. */
  private Vm change(
      VmState newState,
      long newDiskSizeBytes,
      Optional<ProcessIdentity> newProcess,
      Optional<RootDisk> newRootDisk,
      Optional<String> newError,
      Optional<VmmKind> newVmm) {
    return new Vm(
        id,
        name,
        newState,
        ip,
        mac,
        tap,
        image,
        vcpus,
        memoryMib,
        newDiskSizeBytes,
        provisioner,
        createdAt,
        newProcess,
        newRootDisk,
        newError,
        bootArgs,
        newVmm);
  }
}
