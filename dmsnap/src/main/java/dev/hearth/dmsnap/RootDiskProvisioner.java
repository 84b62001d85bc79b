package dev.hearth.dmsnap;

import dev.hearth.core.Layout;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;

/**
 * Makes and removes VM root disks. Implementations run every host command through core's {@code
 * Runner}; they are safe to call from several threads for different VMs.
 */
public interface RootDiskProvisioner {

  ProvisionerKind kind();

  /**
   * Makes the root disk of a VM from an image's ext4 rootfs. When {@code requestedBytes} exceeds
   * the image, the disk and its filesystem are grown to it. On failure nothing of it is left.
   *
   * @param vmId the VM's id (hex digits)
   * @param imageRootfs the image's {@code rootfs.ext4}; never written
   * @param vmDir the VM's folder, which must exist; the disk's file goes there
   * @param requestedBytes the wanted disk size; empty means the image's size
   * @throws DiskSizeException when the requested size is smaller than the image
   * @throws DiskCreateException naming the failed step, after undoing the earlier ones
   */
  RootDisk create(String vmId, Path imageRootfs, Path vmDir, OptionalLong requestedBytes)
      throws InterruptedException;

  /**
   * Removes a root disk: its devices, its loops and its file. Pieces already gone are skipped, so
   * this can be repeated after a partial failure or a host reboot.
   *
   * @throws DeviceBusyException when a device stays busy through every retry
   * @throws DiskRemoveException when another removal step fails
   */
  void remove(RootDisk disk) throws InterruptedException;

  /** What of this provisioner's exists on the host for disks under the layout's state folder. */
  DiskInventory list(Layout layout) throws InterruptedException;

  /**
   * Removes what {@link #list} finds that none of {@code inUse} holds and that holds no VM's data:
   * device-mapper devices, loop devices, and unfinished copies (a create that never returned, so no
   * row owns them). Files with a VM's data (a finished copy, a COW file) are never deleted here:
   * see {@link #strayDiskFiles}. Only for reconcile, while no create is running: a disk being
   * created looks leaked. Tries every piece before reporting failures.
   *
   * @return what was removed
   * @throws DiskRemoveException naming every piece that could not be removed
   */
  DiskInventory removeLeaked(Layout layout, Collection<RootDisk> inUse) throws InterruptedException;

  /**
   * The files with a VM's data (finished copies, COW files) in the VM folders that none of {@code
   * inUse} holds: reconcile moves them aside (quarantine) instead of deleting them, since a
   * database that lost a row must not cost a disk.
   */
  List<Path> strayDiskFiles(Layout layout, Collection<RootDisk> inUse);
}
