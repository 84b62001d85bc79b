package dev.hearth.dmsnap;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;

/**
 * A VM's root disk: what Firecracker opens as the root drive and what has to go when it is removed.
 * Plain data, so the daemon can store it with the VM and hand it back to {@link
 * RootDiskProvisioner#remove} after a restart.
 *
 * @param vmId the VM's id
 * @param kind the provisioner that made it
 * @param path the block device or file Firecracker opens as the root drive
 * @param sizeBytes the disk's size as the guest sees it
 * @param file the file holding the VM's own data: the COW file or the copy
 * @param dmDevices device-mapper names, each one before the device it sits on (removal order)
 * @param loops loop devices, in the order they were attached
 */
public record RootDisk(
    String vmId,
    ProvisionerKind kind,
    Path path,
    long sizeBytes,
    Path file,
    List<String> dmDevices,
    List<LoopDevice> loops) {

  public RootDisk {
    requireNonNull(vmId, "vmId");
    requireNonNull(kind, "kind");
    requireNonNull(path, "path");
    requireNonNull(file, "file");
    dmDevices = List.copyOf(dmDevices);
    loops = List.copyOf(loops);
  }
}
