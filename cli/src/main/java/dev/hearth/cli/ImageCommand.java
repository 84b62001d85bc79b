package dev.hearth.cli;

import dev.hearth.core.Sizes;
import dev.hearth.daemon.HearthJson;
import dev.hearth.daemon.Image;
import dev.hearth.daemon.ImageRegistration;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code hearth image ...}: the image registry. Each verb is one request to hearth. */
@Command(name = "image", description = "Register, list, show, promote and delete VM images.")
final class ImageCommand implements Callable<Integer> {
  @ParentCommand HearthCommand hearth;
  @Spec CommandSpec spec;

  /** Without a verb: the usage, as a usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCode.USAGE;
  }

  /** The daemon reads the paths on its own host, from its own folder: send them absolute. */
  private static Path absolute(Path path) {
    return path.toAbsolutePath().normalize();
  }

  @Command(
      name = "register",
      description =
          "Register a kernel (ELF vmlinux) and an ext4 rootfs as an image; the files are opened"
              + " with your rights and passed to the daemon open.")
  static final class Register implements Callable<Integer> {
    @ParentCommand ImageCommand image;

    @Parameters(paramLabel = "NAME", description = "The new image's name.")
    String name;

    @Option(
        names = "--kernel",
        required = true,
        paramLabel = "FILE",
        description = "The uncompressed x86-64 ELF kernel (vmlinux).")
    Path kernel;

    @Option(
        names = "--rootfs",
        required = true,
        paramLabel = "FILE",
        description = "The root filesystem, an ext4 image.")
    Path rootfs;

    @Option(
        names = "--initrd",
        paramLabel = "FILE",
        description = "An initial ramdisk: cpio, or cpio compressed with gzip, xz, zstd or lz4.")
    Path initrd;

    @Option(
        names = "--boot-args",
        paramLabel = "ARGS",
        description = "Kernel arguments for VMs of this image, before hearth's own.")
    String bootArgs;

    @Option(
        names = "--extract-kernel",
        description = "Given a compressed bzImage (vmlinuz), extract the vmlinux from it.")
    boolean extractKernel;

    @Override
    public Integer call() throws InterruptedException {
      ImageRegistration registration =
          new ImageRegistration(
              name,
              absolute(kernel),
              absolute(rootfs),
              Optional.ofNullable(initrd).map(ImageCommand::absolute),
              Optional.ofNullable(bootArgs),
              extractKernel);
      return VmCommand.confirm(
          image.hearth,
          h -> h.images().register(registration),
          HearthJson::of,
          registered -> summary(registered, "registered"));
    }
  }

  @Command(name = "list", aliases = "ls", description = "List the images.")
  static final class ListImages implements Callable<Integer> {
    @ParentCommand ImageCommand image;

    @Override
    public Integer call() throws InterruptedException {
      return image.hearth.query(
          h -> HearthJson.imageList(h.images().list()), "images", ImageView::table);
    }
  }

  @Command(name = "show", description = "Show one image in detail, with the VMs that use it.")
  static final class Show implements Callable<Integer> {
    @ParentCommand ImageCommand image;

    @Parameters(paramLabel = "IMAGE", description = "An image name.")
    String target;

    @Override
    public Integer call() throws InterruptedException {
      return image.hearth.query(
          h -> HearthJson.of(h.images().show(target)), "", ImageView::details);
    }
  }

  @Command(
      name = "promote",
      description = "Make a new image from a stopped VM's disk (kernel and args of its image).")
  static final class Promote implements Callable<Integer> {
    @ParentCommand ImageCommand image;

    @Parameters(index = "0", paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String vm;

    @Parameters(index = "1", paramLabel = "NAME", description = "The new image's name.")
    String name;

    @Override
    public Integer call() throws InterruptedException {
      return VmCommand.confirm(
          image.hearth,
          h -> h.images().promote(vm, name),
          HearthJson::of,
          promoted -> summary(promoted, "promoted"));
    }
  }

  @Command(
      name = "delete",
      aliases = "rm",
      description = "Delete an image; refused while any VM uses it.")
  static final class Delete implements Callable<Integer> {
    @ParentCommand ImageCommand image;

    @Parameters(paramLabel = "IMAGE", description = "An image name.")
    String target;

    @Override
    public Integer call() throws InterruptedException {
      return VmCommand.confirm(
          image.hearth,
          h -> h.images().delete(target),
          deleted -> Json.object().put("deleted", deleted).toString(),
          deleted -> "deleted image " + deleted);
    }
  }

  /** "image deb registered (1 GiB, rootfs sha256 0123456789ab)". */
  private static String summary(Image image, String verb) {
    return "image "
        + image.name()
        + " "
        + verb
        + " ("
        + Sizes.format(image.sizeBytes())
        + ", rootfs sha256 "
        + Human.shortDigest(image.sha256().getOrDefault("rootfs.ext4", ""))
        + ")";
  }
}
