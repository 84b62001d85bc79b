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
        diskSizeBytes,
        provisioner,
        createdAt,
        process,
        rootDisk,
        error,
        bootArgs,
        vmm);
  }

  public Vm withProcess(Optional<ProcessIdentity> newProcess) {
    return new Vm(
        id,
        name,
        state,
        ip,
        mac,
        tap,
        image,
        vcpus,
        memoryMib,
        diskSizeBytes,
        provisioner,
        createdAt,
        newProcess,
        rootDisk,
        error,
        bootArgs,
        vmm);
  }

  public Vm withRootDisk(RootDisk disk) {
    return new Vm(
        id,
        name,
        state,
        ip,
        mac,
        tap,
        image,
        vcpus,
        memoryMib,
        disk.sizeBytes(),
        provisioner,
        createdAt,
        process,
        Optional.of(disk),
        error,
        bootArgs,
        vmm);
  }

  public Vm withVmm(VmmKind newVmm) {
    return new Vm(
        id,
        name,
        state,
        ip,
        mac,
        tap,
        image,
        vcpus,
        memoryMib,
        diskSizeBytes,
        provisioner,
        createdAt,
        process,
        rootDisk,
        error,
        bootArgs,
        Optional.of(newVmm));
  }

  public Vm withError(Optional<String> newError) {
    return new Vm(
        id,
        name,
        state,
        ip,
        mac,
        tap,
        image,
        vcpus,
        memoryMib,
        diskSizeBytes,
        provisioner,
        createdAt,
        process,
        rootDisk,
        newError,
        bootArgs,
        vmm);
  }
}
