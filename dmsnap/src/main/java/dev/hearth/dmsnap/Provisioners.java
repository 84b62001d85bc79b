package dev.hearth.dmsnap;

import dev.hearth.core.Clock;
import dev.hearth.core.FileSync;
import dev.hearth.core.Runner;
import dev.hearth.core.ToolUser;

/** Picks and builds the root-disk provisioner from the {@code disk_provisioner} setting. */
public final class Provisioners {
  public static final String AUTO = "auto";

  private Provisioners() {}

  /**
   * The provisioner to use.
   *
   * @param configured {@code auto} (dm-snapshot where device-mapper works, else copy), {@code
   *     dm-snapshot} or {@code copy}
   * @param dmAvailable what {@link DeviceMapperProbe} found
   * @throws ProvisionerChoiceException for an unknown name, or dm-snapshot without device-mapper
   */
  public static ProvisionerKind choose(String configured, boolean dmAvailable) {
    if (AUTO.equals(configured)) {
      return dmAvailable ? ProvisionerKind.DM_SNAPSHOT : ProvisionerKind.COPY;
    }
    ProvisionerKind kind =
        ProvisionerKind.fromConfigName(configured)
            .orElseThrow(
                () ->
                    new ProvisionerChoiceException(
                        "unknown disk provisioner '"
                            + configured
                            + "': expected auto, dm-snapshot or copy"));
    if (kind == ProvisionerKind.DM_SNAPSHOT && !dmAvailable) {
      throw new ProvisionerChoiceException(
          "disk_provisioner is 'dm-snapshot' but device-mapper snapshots are not available on this"
              + " host (see `hearth doctor`); set it to 'copy' or 'auto'");
    }
    return kind;
  }

  public static RootDiskProvisioner create(
      ProvisionerKind kind, Runner runner, Clock clock, FileSync fileSync) {
    return create(kind, runner, clock, fileSync, ToolUser.ROOT);
  }

  /**
   * @param tools the user e2fsck and resize2fs run as on filesystems a guest may have written
   */
  public static RootDiskProvisioner create(
      ProvisionerKind kind, Runner runner, Clock clock, FileSync fileSync, ToolUser tools) {
    return switch (kind) {
      case DM_SNAPSHOT -> new DmSnapshotProvisioner(runner, clock, fileSync, tools);
      case COPY -> new CopyProvisioner(runner, fileSync, tools);
    };
  }
}
