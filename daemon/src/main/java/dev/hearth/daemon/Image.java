package dev.hearth.daemon;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A registered image: {@code images/<name>/} with its kernel, root filesystem and optional initrd.
 *
 * @param bootArgs kernel arguments put before hearth's own
 * @param sizeBytes the files' sizes together
 * @param sha256 file name to checksum (empty for a folder made by hand, without a manifest)
 */
public record Image(
    String name,
    Path kernel,
    Path rootfs,
    Optional<Path> initrd,
    String bootArgs,
    long sizeBytes,
    Map<String, String> sha256,
    Instant createdAt) {

  public Image {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(rootfs, "rootfs");
    Objects.requireNonNull(initrd, "initrd");
    Objects.requireNonNull(bootArgs, "bootArgs");
    // In the manifest's order, as the daemon lists them.
    sha256 = Collections.unmodifiableMap(new LinkedHashMap<>(sha256));
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
