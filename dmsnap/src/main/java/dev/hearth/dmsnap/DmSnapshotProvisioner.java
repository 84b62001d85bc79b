package dev.hearth.dmsnap;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandException;
import dev.hearth.core.CommandResult;
import dev.hearth.core.FileSync;
import dev.hearth.core.Layout;
import dev.hearth.core.Runner;
import dev.hearth.core.ToolUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Root disks as device-mapper snapshots: a read-only loop on the image is the origin, a sparse COW
 * file in the VM folder on a second loop takes the writes, and a persistent {@code snapshot} target
 * ({@code /dev/mapper/hearth-<vmId>}) joins them. The image is never written; a VM's disk costs
 * only the blocks it changes.
 *
 * <p>Growing: a snapshot is exactly as large as its origin, so a disk larger than the image gets a
 * larger origin. A read-only device {@code hearth-<vmId>-base} maps the image loop linearly and
 * appends a {@code zero} target for the extra sectors; the snapshot sits on that, reads of the new
 * part return zeros until written (the writes go to the COW like any other), and {@code resize2fs}
 * then grows the filesystem on the snapshot device.
 */
public final class DmSnapshotProvisioner implements RootDiskProvisioner {
  private static final Logger log = LoggerFactory.getLogger(DmSnapshotProvisioner.class);

  static final String DM_PREFIX = "hearth-";
  static final String BASE_SUFFIX = "-base";
  static final String COW_FILE = "rootfs.cow";
  static final String MAPPER_DIR = "/dev/mapper/";

  /** 4 KiB COW chunks: the guest's filesystem block size. */
  static final int CHUNK_SECTORS = 8;

  static final int DEFAULT_REMOVE_ATTEMPTS = 10;
  static final Duration DEFAULT_REMOVE_DELAY = Duration.ofMillis(200);

  private final Runner runner;
  private final Clock clock;
  private final FileSync fileSync;
  private final int removeAttempts;
  private final Duration removeDelay;
  private final FilesystemGrower grower;

  public DmSnapshotProvisioner(Runner runner, Clock clock, FileSync fileSync) {
    this(runner, clock, fileSync, DEFAULT_REMOVE_ATTEMPTS, DEFAULT_REMOVE_DELAY);
  }

  /**
   * @param removeAttempts how many times {@code dmsetup remove} is tried while the device is busy
   * @param removeDelay the pause between those attempts
   */
  public DmSnapshotProvisioner(
      Runner runner, Clock clock, FileSync fileSync, int removeAttempts, Duration removeDelay) {
    this(runner, clock, fileSync, removeAttempts, removeDelay, ToolUser.ROOT);
  }

  /** As the daemon makes it: e2fsck and resize2fs as {@code tools} (see {@link ToolUser}). */
  public DmSnapshotProvisioner(Runner runner, Clock clock, FileSync fileSync, ToolUser tools) {
    this(runner, clock, fileSync, DEFAULT_REMOVE_ATTEMPTS, DEFAULT_REMOVE_DELAY, tools);
  }

  private DmSnapshotProvisioner(
      Runner runner,
      Clock clock,
      FileSync fileSync,
      int removeAttempts,
      Duration removeDelay,
      ToolUser tools) {
    if (removeAttempts < 1) {
      throw new IllegalArgumentException("removeAttempts must be at least 1: " + removeAttempts);
    }
    this.runner = requireNonNull(runner, "runner");
    this.clock = requireNonNull(clock, "clock");
    this.fileSync = requireNonNull(fileSync, "fileSync");
    this.removeAttempts = removeAttempts;
    this.removeDelay = requireNonNull(removeDelay, "removeDelay");
    this.grower = new FilesystemGrower(runner, tools);
  }

  @Override
  public ProvisionerKind kind() {
    return ProvisionerKind.DM_SNAPSHOT;
  }

  /** The snapshot device's name for a VM. */
  static String deviceName(String vmId) {
    return DM_PREFIX + vmId;
  }

  @Override
  public RootDisk create(String vmId, Path imageRootfs, Path vmDir, OptionalLong requestedBytes)
      throws InterruptedException {
    requireVmId(vmId);
    long imageBytes;
    try {
      imageBytes = Files.size(imageRootfs);
    } catch (IOException e) {
      throw new DiskCreateException(vmId, CreateStep.INSPECT_IMAGE, e);
    }
    long diskBytes = DiskSizes.diskBytes(imageRootfs, imageBytes, requestedBytes);
    boolean grow = diskBytes > imageBytes;

    Undo undo = new Undo();
    CreateStep step = CreateStep.ATTACH_IMAGE_LOOP;
    try {
      String imageLoop = attachLoop(imageRootfs, true);
      undo.push("detach " + imageLoop, () -> detachLoop(imageLoop));

      step = CreateStep.READ_IMAGE_SECTORS;
      long imageSectors = sectors(imageLoop);
      long diskSectors = grow ? diskBytes / DiskSizes.SECTOR : imageSectors;

      step = CreateStep.CREATE_COW_FILE;
      Path cow = vmDir.resolve(COW_FILE);
      DiskSizes.createSparse(cow, cowBytes(diskSectors * DiskSizes.SECTOR));
      undo.push("delete " + cow, () -> Files.deleteIfExists(cow));

      step = CreateStep.ATTACH_COW_LOOP;
      String cowLoop = attachLoop(cow, false);
      undo.push("detach " + cowLoop, () -> detachLoop(cowLoop));

      List<String> devices = new ArrayList<>();
      String origin = imageLoop;
      if (grow) {
        step = CreateStep.CREATE_BASE_DEVICE;
        String base = deviceName(vmId) + BASE_SUFFIX;
        createBase(base, imageLoop, imageSectors, diskSectors - imageSectors);
        undo.push("remove " + base, () -> removeDevice(base));
        devices.add(0, base);
        origin = MAPPER_DIR + base;
      }

      step = CreateStep.CREATE_SNAPSHOT_DEVICE;
      String name = deviceName(vmId);
      runner.check(
          Command.of(
              "dmsetup",
              "create",
              name,
              "--table",
              "0 " + diskSectors + " snapshot " + origin + " " + cowLoop + " P " + CHUNK_SECTORS));
      undo.push("remove " + name, () -> removeDevice(name));
      devices.add(0, name);
      String device = MAPPER_DIR + name;

      if (grow) {
        step = CreateStep.CHECK_FILESYSTEM;
        grower.check(device);
        step = CreateStep.RESIZE_FILESYSTEM;
        grower.resize(device);
      }
      // The COW file holds the VM's writes (the grown filesystem's too, through the loop): on
      // storage, with its folder entry, before the caller commits the row that owns it.
      step = CreateStep.SYNC_DISK;
      fileSync.file(cow);
      step = CreateStep.SYNC_FOLDER;
      fileSync.directory(vmDir);
      RootDisk disk =
          new RootDisk(
              vmId,
              ProvisionerKind.DM_SNAPSHOT,
              Path.of(device),
              diskSectors * DiskSizes.SECTOR,
              cow,
              devices,
              List.of(new LoopDevice(imageLoop, imageRootfs), new LoopDevice(cowLoop, cow)));
      log.info("root disk of VM {}: {} ({} bytes, COW {})", vmId, device, disk.sizeBytes(), cow);
      return disk;
    } catch (InterruptedException e) {
      undo.runAll(e);
      throw e;
    } catch (IOException | RuntimeException e) {
      DiskCreateException failure = new DiskCreateException(vmId, step, e);
      undo.runAll(failure);
      throw failure;
    }
  }

  /**
   * The COW file's size: the disk's plus room for the snapshot's own metadata (a header chunk and
   * one 16-byte entry per 4 KiB chunk), so that rewriting every block of the disk still fits. The
   * file is sparse: the extra costs nothing until used.
   */
  static long cowBytes(long diskBytes) {
    long chunk = CHUNK_SECTORS * DiskSizes.SECTOR;
    long metadata = diskBytes / 256 + 16 * chunk;
    return (diskBytes + metadata + chunk - 1) / chunk * chunk;
  }

  private String attachLoop(Path file, boolean readOnly) throws InterruptedException {
    List<String> argv = new ArrayList<>(List.of("losetup", "--find", "--show"));
    if (readOnly) {
      argv.add("--read-only");
    }
    argv.add(file.toString());
    String out = runner.check(Command.of(argv)).stdout().strip();
    if (!out.startsWith("/dev/")) {
      throw new UnexpectedOutputException(argv, out, null);
    }
    return out;
  }

  private long sectors(String device) throws InterruptedException {
    List<String> argv = List.of("blockdev", "--getsz", device);
    String out = runner.check(Command.of(argv)).stdout().strip();
    try {
      long sectors = Long.parseLong(out);
      if (sectors <= 0) {
        throw new UnexpectedOutputException(argv, out, null);
      }
      return sectors;
    } catch (NumberFormatException e) {
      throw new UnexpectedOutputException(argv, out, e);
    }
  }

  /** A read-only device: the image, then {@code extraSectors} of zeros. */
  private void createBase(String name, String imageLoop, long imageSectors, long extraSectors)
      throws InterruptedException {
    // Two table lines: dmsetup reads a multi-line table from stdin.
    String table =
        "0 "
            + imageSectors
            + " linear "
            + imageLoop
            + " 0\n"
            + imageSectors
            + " "
            + extraSectors
            + " zero\n";
    runner.check(
        Command.builder("dmsetup").args("create", "--readonly", name).stdin(table).build());
  }

  private void detachLoop(String loop) throws InterruptedException {
    runner.check(Command.of("losetup", "--detach", loop));
  }

  /**
   * Removes a device-mapper device, retrying while it is busy (udev or a just-killed VM may still
   * hold it for a moment). A device that is already gone counts as removed.
   */
  void removeDevice(String name) throws InterruptedException {
    Command remove = Command.of("dmsetup", "remove", name);
    for (int attempt = 1; ; attempt++) {
      CommandResult result = runner.run(remove);
      if (result.ok()) {
        return;
      }
      String stderr = result.stderr();
      if (isGone(stderr)) {
        log.debug("device-mapper device {} was already gone", name);
        return;
      }
      CommandException failure = asException(result);
      if (!stderr.contains("Device or resource busy")) {
        throw new DiskRemoveException("cannot remove device-mapper device " + name, failure);
      }
      if (attempt >= removeAttempts) {
        throw new DeviceBusyException(name, attempt, failure);
      }
      log.debug("device-mapper device {} is busy (attempt {}/{})", name, attempt, removeAttempts);
      clock.sleep(removeDelay);
    }
  }

  private static boolean isGone(String stderr) {
    String s = stderr.toLowerCase(Locale.ROOT);
    return s.contains("not found") || s.contains("no such device or address");
  }

  private static CommandException asException(CommandResult result) {
    try {
      result.orThrow();
    } catch (CommandException e) {
      return e;
    }
    throw new IllegalStateException("asException called on a successful result");
  }

  @Override
  public void remove(RootDisk disk) throws InterruptedException {
    for (String device : disk.dmDevices()) {
      removeDevice(device);
    }
    if (!disk.loops().isEmpty()) {
      // A loop number outlives neither a reboot nor a detach: only detach it if it is still ours.
      List<LoopDevice> attached = attachedLoops();
      for (LoopDevice loop : disk.loops()) {
        if (contains(attached, loop)) {
          try {
            detachLoop(loop.device());
          } catch (CommandException e) {
            throw new DiskRemoveException(
                "cannot detach loop device " + loop.device() + " of VM " + disk.vmId(), e);
          }
        } else {
          log.debug(
              "loop {} of VM {} is no longer attached to {}",
              loop.device(),
              disk.vmId(),
              loop.backingFile());
        }
      }
    }
    try {
      Files.deleteIfExists(disk.file());
    } catch (IOException e) {
      throw new DiskRemoveException(
          "cannot delete the COW file " + disk.file() + " of VM " + disk.vmId(), e);
    }
  }

  private List<LoopDevice> attachedLoops() throws InterruptedException {
    return HostListings.loops(runner.check(Command.of(HostListings.LOSETUP_LIST)).stdout());
  }

  private static boolean contains(Collection<LoopDevice> loops, LoopDevice loop) {
    Path file = loop.backingFile().toAbsolutePath().normalize();
    return loops.stream()
        .anyMatch(
            l ->
                l.device().equals(loop.device())
                    && l.backingFile().toAbsolutePath().normalize().equals(file));
  }

  @Override
  public DiskInventory list(Layout layout) throws InterruptedException {
    List<String> devices =
        HostListings.hearthDevicesInRemovalOrder(
            HostListings.dmNames(runner.check(Command.of(HostListings.DMSETUP_LS)).stdout()));
    List<LoopDevice> loops = HostListings.loopsUnder(attachedLoops(), layout.stateDir());
    List<Path> files = VmFolders.filesNamed(layout.vmsDir(), Set.of(COW_FILE));
    return new DiskInventory(devices, loops, files);
  }

  @Override
  public DiskInventory removeLeaked(Layout layout, Collection<RootDisk> inUse)
      throws InterruptedException {
    DiskInventory found = list(layout);
    List<String> keptDevices = inUse.stream().flatMap(d -> d.dmDevices().stream()).toList();
    List<LoopDevice> keptLoops = inUse.stream().flatMap(d -> d.loops().stream()).toList();

    List<String> removedDevices = new ArrayList<>();
    List<LoopDevice> removedLoops = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    List<Exception> causes = new ArrayList<>();
    for (String device : found.dmDevices()) {
      if (keptDevices.contains(device)) {
        continue;
      }
      try {
        removeDevice(device);
        removedDevices.add(device);
      } catch (DmsnapException e) {
        failed.add("device " + device);
        causes.add(e);
      }
    }
    for (LoopDevice loop : found.loops()) {
      if (contains(keptLoops, loop)) {
        continue;
      }
      try {
        detachLoop(loop.device());
        removedLoops.add(loop);
      } catch (CommandException e) {
        failed.add("loop " + loop.device() + " (" + loop.backingFile() + ")");
        causes.add(e);
      }
    }
    DiskInventory removed = new DiskInventory(removedDevices, removedLoops, List.of());
    if (!removed.isEmpty()) {
      log.info("removed leaked root-disk pieces: {}", removed);
    }
    if (!failed.isEmpty()) {
      DiskRemoveException e =
          new DiskRemoveException(
              "could not remove leaked root-disk pieces: " + String.join(", ", failed),
              causes.get(0));
      causes.stream().skip(1).forEach(e::addSuppressed);
      throw e;
    }
    return removed;
  }

  @Override
  public List<Path> strayDiskFiles(Layout layout, Collection<RootDisk> inUse) {
    List<Path> kept = inUse.stream().map(RootDisk::file).toList();
    return VmFolders.filesNamed(layout.vmsDir(), Set.of(COW_FILE)).stream()
        .filter(f -> !VmFolders.containsPath(kept, f))
        .toList();
  }

  static void requireVmId(String vmId) {
    if (vmId == null || !vmId.matches("[a-f0-9]{1,64}")) {
      throw new IllegalArgumentException("invalid VM id '" + vmId + "': expected hex digits");
    }
  }
}
