package dev.hearth.daemon;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An image to build from a distribution with debootstrap ({@link Images#build}). Paths are absolute
 * and read by the caller's process with its own rights (over a socket: the client reads the script
 * and passes the kernel open; the daemon opens neither); a relative one throws {@link
 * HearthException.Kind#INVALID} naming the field (the name, the distribution and the packages are
 * checked by the builder).
 *
 * @param from {@code debian:<suite>}; empty for the default
 * @param packages extra packages to install (blank names are dropped, duplicates kept once)
 * @param run a script (at most 256 KiB of UTF-8) run as root inside the image, in the build's
 *     sandbox
 * @param sizeBytes the root filesystem's size; empty for the default (2 GiB)
 * @param kernel a vmlinux to use instead of {@code default_kernel} or the distribution's kernel
 */
public record ImageBuildSpec(
    String name,
    Optional<String> from,
    List<String> packages,
    Optional<Path> run,
    OptionalLong sizeBytes,
    Optional<Path> kernel) {

  public ImageBuildSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(from, "from");
    packages = packages.stream().map(String::strip).filter(p -> !p.isEmpty()).distinct().toList();
    requireAbsolute("run", run);
    Objects.requireNonNull(sizeBytes, "sizeBytes");
    requireAbsolute("kernel", kernel);
  }

  /** The default build (debian:bookworm, no extra packages, 2 GiB) under {@code name}. */
  public static ImageBuildSpec of(String name) {
    return new ImageBuildSpec(
        name,
        Optional.empty(),
        List.of(),
        Optional.empty(),
        OptionalLong.empty(),
        Optional.empty());
  }

  private static void requireAbsolute(String field, Optional<Path> path) {
    Objects.requireNonNull(path, field);
    if (path.isPresent() && !path.get().isAbsolute()) {
      throw HearthException.invalid("param '" + field + "' of image.build: give an absolute path");
    }
  }
}
