package dev.hearth.fcproc.client;

import static java.util.Objects.requireNonNull;

import dev.hearth.fcproc.internal.ApiIds;
import java.nio.file.Path;

/** Body of {@code PUT /drives/{drive_id}}: a virtio-block drive backed by a host file or device. */
public record Drive(String driveId, Path pathOnHost, boolean isRootDevice, boolean isReadOnly) {

  public Drive {
    ApiIds.requirePathId("drive id", driveId);
    requireNonNull(pathOnHost, "pathOnHost");
  }
}
