package dev.hearth.dmsnap;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.Command;
import dev.hearth.core.FileSync;
import dev.hearth.core.Layout;
import dev.hearth.core.Runner;
import dev.hearth.core.ToolUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Root disks as copies of the image, for hosts without device-mapper: {@code <vm dir>/rootfs.ext4},
 * a reflink where the filesystem supports it (instant, shares blocks until written), else a sparse
 * copy (holes stay holes). The copy is made under a temporary name and renamed into place when
 * finished, so a failure never leaves a partial disk where a finished one is expected. The copy is
 * synced before the rename and the folder after it, so that the disk is on storage before the
 * caller commits the row that owns it (ARCHITECTURE.md, "Durability").
 */
public final class CopyProvisioner implements RootDiskProvisioner {
  private static final Logger log = LoggerFactory.getLogger(CopyProvisioner.class);

  static final String DISK_FILE = "rootfs.ext4";
  static final String PARTIAL_FILE = "rootfs.ext4.partial";

  /** Without reflink a multi-GiB image is copied block by block. */
  static final Duration COPY_TIMEOUT = Duration.ofMinutes(30);

  private final Runner runner;
  private final FileSync fileSync;
  private final FilesystemGrower grower;

  /** e2fsck and resize2fs run as root: for tests; the daemon passes its {@link ToolUser}. */
  public CopyProvisioner(Runner runner, FileSync fileSync) {
    this(runner, fileSync, ToolUser.ROOT);
  }

  /**
   * @param tools the user e2fsck and resize2fs run as when a disk grows (the image may be a
   *     promoted VM's, written by its guest)
   */
  public CopyProvisioner(Runner runner, FileSync fileSync, ToolUser tools) {
    this.runner = requireNonNull(runner, "runner");
    this.fileSync = requireNonNull(fileSync, "fileSync");
    this.grower = new FilesystemGrower(runner, tools);
  }

  @Override
  public ProvisionerKind kind() {
    return ProvisionerKind.COPY;
  }

  @Override
  public RootDisk create(String vmId, Path imageRootfs, Path vmDir, OptionalLong requestedBytes)
      throws InterruptedException {
    DmSnapshotProvisioner.requireVmId(vmId);
    long imageBytes;
    try {
      imageBytes = Files.size(imageRootfs);
    } catch (IOException e) {
      throw new DiskCreateException(vmId, CreateStep.INSPECT_IMAGE, e);
    }
    long diskBytes = DiskSizes.diskBytes(imageRootfs, imageBytes, requestedBytes);
    Path disk = vmDir.resolve(DISK_FILE);
    Path partial = vmDir.resolve(PARTIAL_FILE);

    CreateStep step = CreateStep.COPY_IMAGE;
    try {
      if (Files.exists(disk)) {
        throw new IOException("the VM folder already holds a root disk: " + disk);
      }
      // A leftover from a create that died mid-copy: this VM's own, and never a finished disk.
      Files.deleteIfExists(partial);
      runner.check(
          Command.builder("cp")
              .args("--reflink=auto", "--sparse=always", imageRootfs.toString(), partial.toString())
              .timeout(COPY_TIMEOUT)
              .build());
      if (diskBytes > imageBytes) {
        step = CreateStep.EXTEND_FILE;
        DiskSizes.setLength(partial, diskBytes);
        step = CreateStep.CHECK_FILESYSTEM;
        grower.check(partial.toString());
        step = CreateStep.RESIZE_FILESYSTEM;
        grower.resize(partial.toString());
      }
      step = CreateStep.SYNC_DISK;
      fileSync.file(partial);
      step = CreateStep.PUBLISH_COPY;
      Files.move(partial, disk, StandardCopyOption.ATOMIC_MOVE);
      step = CreateStep.SYNC_FOLDER;
      fileSync.directory(vmDir);
    } catch (InterruptedException e) {
      deletePartial(partial, e);
      throw e;
    } catch (IOException | RuntimeException e) {
      DiskCreateException failure = new DiskCreateException(vmId, step, e);
      deletePartial(partial, failure);
      throw failure;
    }
    log.info("root disk of VM {}: {} ({} bytes)", vmId, disk, diskBytes);
    return new RootDisk(vmId, ProvisionerKind.COPY, disk, diskBytes, disk, List.of(), List.of());
  }

  private static void deletePartial(Path partial, Throwable failure) {
    try {
      Files.deleteIfExists(partial);
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }

  @Override
  public void remove(RootDisk disk) {
    try {
      Files.deleteIfExists(disk.file());
    } catch (IOException e) {
      throw new DiskRemoveException(
          "cannot delete the root disk " + disk.file() + " of VM " + disk.vmId(), e);
    }
  }

  @Override
  public DiskInventory list(Layout layout) {
    return new DiskInventory(
        List.of(),
        List.of(),
        VmFolders.filesNamed(layout.vmsDir(), Set.of(DISK_FILE, PARTIAL_FILE)));
  }

  @Override
  public DiskInventory removeLeaked(Layout layout, Collection<RootDisk> inUse) {
    // Only unfinished copies: a .partial is renamed into place before create returns, so no row
    // ever names one, and no create runs during reconcile.
    List<Path> removed = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    IOException firstCause = null;
    for (Path file : VmFolders.filesNamed(layout.vmsDir(), Set.of(PARTIAL_FILE))) {
      try {
        Files.deleteIfExists(file);
        removed.add(file);
      } catch (IOException e) {
        failed.add(file.toString());
        firstCause = firstCause == null ? e : firstCause;
      }
    }
    if (!removed.isEmpty()) {
      log.info("removed unfinished root-disk copies: {}", removed);
    }
    if (!failed.isEmpty()) {
      throw new DiskRemoveException(
          "could not remove unfinished root-disk copies: " + String.join(", ", failed), firstCause);
    }
    return new DiskInventory(List.of(), List.of(), removed);
  }

  @Override
  public List<Path> strayDiskFiles(Layout layout, Collection<RootDisk> inUse) {
    List<Path> kept = inUse.stream().map(RootDisk::file).toList();
    return VmFolders.filesNamed(layout.vmsDir(), Set.of(DISK_FILE)).stream()
        .filter(f -> !VmFolders.containsPath(kept, f))
        .toList();
  }
}
