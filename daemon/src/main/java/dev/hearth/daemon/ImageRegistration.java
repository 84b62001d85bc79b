package dev.hearth.daemon;

import dev.hearth.core.rpc.Wire;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Files to register as an image; paths are absolute and opened by the caller's process with its own
 * rights (over a socket the client opens them and passes them open: the daemon never opens a
 * client's path). A relative path throws {@link HearthException.Kind#INVALID} naming the field (the
 * name is checked by the registry).
 *
 * @param bootArgs kernel arguments the image's VMs boot with, before hearth's own
 * @param extractKernel take the vmlinux out of a compressed bzImage
 */
public record ImageRegistration(
    String name,
    Path kernel,
    Path rootfs,
    Optional<Path> initrd,
    Optional<String> bootArgs,
    boolean extractKernel) {

  public ImageRegistration {
    Objects.requireNonNull(name, "name");
    requireAbsolute("kernel", kernel);
    requireAbsolute("rootfs", rootfs);
    Objects.requireNonNull(initrd, "initrd");
    initrd.ifPresent(p -> requireAbsolute("initrd", p));
    Objects.requireNonNull(bootArgs, "bootArgs");
  }

  /** The kernel and root filesystem, no initrd, no boot arguments. */
  public static ImageRegistration of(String name, Path kernel, Path rootfs) {
    return new ImageRegistration(name, kernel, rootfs, Optional.empty(), Optional.empty(), false);
  }

  private static void requireAbsolute(String field, Path path) {
    Objects.requireNonNull(path, field);
    if (!path.isAbsolute()) {
      throw HearthException.invalid(
          "param '"
              + field
              + "' of image.register: give an absolute path; got '"
              + Wire.abbreviate(path.toString())
              + "'");
    }
  }
}
