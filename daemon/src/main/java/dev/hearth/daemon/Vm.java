package dev.hearth.daemon;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One VM, as {@code vm.list} and {@code vm.show} report it.
 *
 * @param pid the VMM's process id while one runs
 * @param vmm {@code firecracker} or {@code qemu}: what ran it at its last boot, once it booted
 * @param error why it is in state {@link VmState#ERROR} (present only in that state)
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
    OptionalLong pid,
    Optional<String> vmm,
    Optional<String> error) {

  public Vm {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(ip, "ip");
    Objects.requireNonNull(mac, "mac");
    Objects.requireNonNull(tap, "tap");
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(provisioner, "provisioner");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(pid, "pid");
    Objects.requireNonNull(vmm, "vmm");
    Objects.requireNonNull(error, "error");
  }
}
