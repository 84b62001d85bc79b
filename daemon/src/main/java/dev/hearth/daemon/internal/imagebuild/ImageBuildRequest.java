package dev.hearth.daemon.internal.imagebuild;

import dev.hearth.imagemgr.ImageSource;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The params of {@code image.build}, parsed but not yet validated against the host.
 *
 * @param from {@code debian:<suite>}; empty for the default
 * @param runScript the text of the {@code --run} script (the client read the file with its rights)
 * @param sizeBytes the rootfs size; empty for the default
 * @param kernel a vmlinux to use instead of {@code default_kernel} or the distro kernel: a file the
 *     client opened and passed, or the in-process caller's path; the build closes it
 */
public record ImageBuildRequest(
    String name,
    Optional<String> from,
    List<String> packages,
    Optional<String> runScript,
    OptionalLong sizeBytes,
    Optional<ImageSource> kernel) {

  public ImageBuildRequest {
    packages = List.copyOf(packages);
  }
}
