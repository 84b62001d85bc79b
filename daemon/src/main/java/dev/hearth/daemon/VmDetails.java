package dev.hearth.daemon;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code vm.show} adds to a {@link Vm}: where its files are, its kernel command line and its
 * egress policy.
 *
 * @param rootDisk the root disk, once the create's rootfs stage made it
 * @param egress the egress policy, {@code open}, {@code none} or {@code allow:...}
 * @param confinement how its VMM is confined while it runs unprivileged (vm_unprivileged)
 */
public record VmDetails(
    Vm vm,
    Path apiSocket,
    Path consoleLog,
    Optional<Path> rootDisk,
    String bootArgs,
    String egress,
    Optional<VmConfinement> confinement) {

  /** Details of a VM whose VMM is not confined (stopped, or vm_unprivileged = false). */
  public VmDetails(
      Vm vm,
      Path apiSocket,
      Path consoleLog,
      Optional<Path> rootDisk,
      String bootArgs,
      String egress) {
    this(vm, apiSocket, consoleLog, rootDisk, bootArgs, egress, Optional.empty());
  }

  public VmDetails {
    Objects.requireNonNull(vm, "vm");
    Objects.requireNonNull(apiSocket, "apiSocket");
    Objects.requireNonNull(consoleLog, "consoleLog");
    Objects.requireNonNull(rootDisk, "rootDisk");
    Objects.requireNonNull(bootArgs, "bootArgs");
    Objects.requireNonNull(egress, "egress");
    Objects.requireNonNull(confinement, "confinement");
  }
}
