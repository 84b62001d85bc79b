package dev.hearth.fcproc.client;

import static java.util.Objects.requireNonNull;

import dev.hearth.fcproc.internal.ApiIds;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Body of {@code PUT /drives/{drive_id}}: a virtio-block drive backed by a host file or device,
 * with an optional limit on its bytes and operations.
 */
public record Drive(
    String driveId,
    Path pathOnHost,
    boolean isRootDevice,
    boolean isReadOnly,
    Optional<RateLimiter> rateLimiter) {

  public Drive {
    ApiIds.requirePathId("drive id", driveId);
    requireNonNull(pathOnHost, "pathOnHost");
    requireNonNull(rateLimiter, "rateLimiter");
  }

  /** A drive without a rate limiter. */
  public Drive(String driveId, Path pathOnHost, boolean isRootDevice, boolean isReadOnly) {
    this(driveId, pathOnHost, isRootDevice, isReadOnly, Optional.empty());
  }
}
