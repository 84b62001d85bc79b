package dev.hearth.daemon.internal.imagebuild;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The params of {@code image.build}, parsed but not yet validated against the host.
 *
 * @param from {@code debian:<suite>}; empty for the default
 * @param sizeBytes the rootfs size; empty for the default
 * @param kernel a vmlinux to use instead of {@code default_kernel} or the distro kernel
 */
public record ImageBuildRequest(
    String name,
    Optional<String> from,
    List<String> packages,
    Optional<Path> runFile,
    OptionalLong sizeBytes,
    Optional<Path> kernel) {

  public ImageBuildRequest {
    packages = List.copyOf(packages);
  }
}
