package dev.hearth.dmsnap;

import dev.hearth.core.CheckOutcome;
import dev.hearth.core.CommandException;
import dev.hearth.core.Config;
import dev.hearth.core.HostProbe;
import dev.hearth.core.HostTools;
import dev.hearth.core.Layout;
import dev.hearth.dmsnap.ReflinkProbe.Reflink;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The doctor's disk checks: device-mapper (by the daemon's own {@link DeviceMapperProbe}), the
 * provisioner the daemon picks, reflinks in the state folder, and the tools disks are made with.
 * They only look; the reflink test's temporary files are removed again.
 */
public final class DiskChecks {
  private static final String DM_UNAVAILABLE =
      "device-mapper snapshots unavailable: VM disks will be full copies (copy provisioner)";
  private static final String DM_FIX = "apt-get install dmsetup; modprobe dm_snapshot";
  private static final String NO_REFLINK = "copies will be sparse full copies";
  private static final String REFLINK_FIX =
      "put state_dir on a filesystem with reflinks (btrfs, or xfs with reflink=1)";
  private static final String GROW =
      "vm create --disk-size larger than the image grows the disk's filesystem with it";

  private final Config config;
  private final HostProbe probe;
  private final DeviceMapperProbe deviceMapper;
  private final ReflinkProbe reflinks;

  public DiskChecks(
      Config config, HostProbe probe, DeviceMapperProbe deviceMapper, ReflinkProbe reflinks) {
    this.config = config;
    this.probe = probe;
    this.deviceMapper = deviceMapper;
    this.reflinks = reflinks;
  }

  public CheckOutcome deviceMapper() throws InterruptedException {
    DeviceMapperStatus status = deviceMapper.probe();
    return status.available()
        ? CheckOutcome.pass(status.detail())
        : CheckOutcome.warn(DM_UNAVAILABLE + "; " + status.detail(), DM_FIX);
  }

  /** The provisioner the daemon picks here, by the same rule ({@link Provisioners#choose}). */
  public CheckOutcome diskProvisioner(boolean dmSnapshots) {
    String configured = config.diskProvisioner();
    ProvisionerKind kind;
    try {
      kind = Provisioners.choose(configured, dmSnapshots);
    } catch (ProvisionerChoiceException e) {
      return CheckOutcome.fail(
          e.getMessage(), DM_FIX + ", or set disk_provisioner = \"auto\" in " + configFile());
    }
    String why =
        !configured.equals("auto")
            ? "configured"
            : dmSnapshots
                ? "auto: device-mapper snapshots work"
                : "auto: device-mapper snapshots are unavailable";
    String what = kind == ProvisionerKind.COPY ? ": VM disks are full copies of the image" : "";
    return CheckOutcome.pass(kind.configName() + " (" + why + ")" + what);
  }

  public CheckOutcome reflink() throws InterruptedException {
    Path dir = probe.nearestExisting(Layout.of(config).stateDir());
    Reflink reflink;
    try {
      reflink = reflinks.tryReflink(dir);
    } catch (IOException | CommandException e) {
      return CheckOutcome.warn(
          "reflink could not be tested in " + dir + " (" + e.getMessage() + "): " + NO_REFLINK,
          REFLINK_FIX);
    }
    return reflink.supported()
        ? CheckOutcome.pass(reflink.detail())
        : CheckOutcome.warn(reflink.detail() + ": " + NO_REFLINK, REFLINK_FIX);
  }

  /** {@code losetup}, which every dm-snapshot disk is made with. */
  public CheckOutcome losetup() {
    return HostTools.required(probe, "losetup", "mount");
  }

  /** {@code e2fsck} and {@code resize2fs}, which grow a disk larger than its image. */
  public CheckOutcome growTool(String program) {
    return HostTools.neededBy(probe, program, "e2fsprogs", CheckOutcome.Status.WARN, GROW);
  }

  private Path configFile() {
    return config.source().orElse(Config.DEFAULT_FILE);
  }
}
