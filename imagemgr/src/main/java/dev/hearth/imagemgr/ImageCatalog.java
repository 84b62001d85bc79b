package dev.hearth.imagemgr;

import dev.hearth.core.Names;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The published images: folders {@code images/<name>/} holding {@link ImageFile#KERNEL} and {@link
 * ImageFile#ROOTFS} (and optionally {@link ImageFile#INITRD}), with a {@link ImageManifest} when
 * hearth made them. A folder made by hand has no manifest: it is read with its files' sizes, no
 * checksums and its folder's time.
 */
public final class ImageCatalog {
  /**
   * What the catalog says about one image.
   *
   * @param bootArgs the manifest's kernel arguments, "" when it has none
   * @param sha256 checksums by file name; empty for a hand-made image
   */
  public record Image(
      String name,
      Path kernel,
      Path rootfs,
      Optional<Path> initrd,
      String bootArgs,
      long sizeBytes,
      Map<String, String> sha256,
      Instant createdAt) {}

  /**
   * The files a VM boots from.
   *
   * @param bootArgs the manifest's kernel arguments, when it has non-blank ones
   */
  public record BootFiles(
      Path kernel, Path rootfs, Optional<Path> initrd, Optional<String> bootArgs) {}

  private final Path imagesDir;

  public ImageCatalog(Path imagesDir) {
    this.imagesDir = imagesDir;
  }

  /**
   * Every image folder holding a kernel and a rootfs, by name.
   *
   * @throws ImageReadException when the folder or an image cannot be read
   */
  public List<Image> list() {
    if (!Files.isDirectory(imagesDir)) {
      return List.of();
    }
    List<Image> images = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(imagesDir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (Names.isValid(name) && isImage(entry)) {
          images.add(read(name));
        }
      }
    } catch (IOException e) {
      throw new ImageReadException("cannot list " + imagesDir + ": " + e.getMessage(), e);
    }
    images.sort(Comparator.comparing(Image::name));
    return images;
  }

  /**
   * One image, or empty when its folder lacks a kernel or a rootfs.
   *
   * @throws dev.hearth.core.InvalidNameException when the name is not an image name
   * @throws ImageReadException when the image cannot be read
   */
  public Optional<Image> find(String name) {
    ImageNames.requireValid(name);
    return isImage(imageDir(name)) ? Optional.of(read(name)) : Optional.empty();
  }

  /**
   * The files a VM of the image boots from.
   *
   * @throws ImageNotFoundException naming the folder and the file it lacks
   * @throws ImageReadException when the manifest cannot be read
   */
  public BootFiles bootFiles(String name) {
    Path dir = imageDir(name);
    for (ImageFile required : List.of(ImageFile.KERNEL, ImageFile.ROOTFS)) {
      if (!Files.isRegularFile(dir.resolve(required.fileName()))) {
        throw new ImageNotFoundException(
            "image '"
                + name
                + "' not found: "
                + dir
                + " has no "
                + required.fileName()
                + " (an image folder holds vmlinux, rootfs.ext4 and optionally initrd)");
      }
    }
    return bootFilesOf(dir);
  }

  /**
   * The files of the image's folder, required files or not (a VM's image may be gone since it was
   * created: its start then fails on the missing file).
   *
   * @throws ImageReadException when the manifest cannot be read
   */
  public BootFiles bootFilesUnchecked(String name) {
    return bootFilesOf(imageDir(name));
  }

  /** {@code images/<name>}. */
  public Path imageDir(String name) {
    return imagesDir.resolve(name);
  }

  /**
   * The image's manifest, when it has one (hand-made folders have none).
   *
   * @throws ImageReadException naming the manifest when it cannot be read or parsed
   */
  public static Optional<ImageManifest> manifest(Path imageDir) {
    if (!Files.exists(imageDir.resolve(ImageManifest.FILE_NAME))) {
      return Optional.empty();
    }
    try {
      return Optional.of(ImageManifest.read(imageDir));
    } catch (InvalidImageFileException e) {
      throw new ImageReadException(e.getMessage(), e);
    }
  }

  private BootFiles bootFilesOf(Path dir) {
    return new BootFiles(
        dir.resolve(ImageFile.KERNEL.fileName()),
        dir.resolve(ImageFile.ROOTFS.fileName()),
        initrd(dir),
        manifest(dir).flatMap(ImageManifest::bootArgs).filter(a -> !a.isBlank()));
  }

  private Image read(String name) {
    Path dir = imageDir(name);
    Path kernel = dir.resolve(ImageFile.KERNEL.fileName());
    Path rootfs = dir.resolve(ImageFile.ROOTFS.fileName());
    Optional<Path> initrd = initrd(dir);
    Optional<ImageManifest> manifest = manifest(dir);
    if (manifest.isPresent()) {
      ImageManifest m = manifest.get();
      Map<String, String> sums = new TreeMap<>();
      m.files().forEach(f -> sums.put(f.fileName(), f.sha256()));
      return new Image(
          name,
          kernel,
          rootfs,
          initrd,
          m.bootArgs().orElse(""),
          m.totalSize(),
          sums,
          m.createdAt());
    }
    try {
      long size = Files.size(kernel) + Files.size(rootfs);
      if (initrd.isPresent()) {
        size += Files.size(initrd.get());
      }
      return new Image(
          name,
          kernel,
          rootfs,
          initrd,
          "",
          size,
          Map.of(),
          Files.getLastModifiedTime(dir).toInstant());
    } catch (IOException e) {
      throw new ImageReadException("cannot read image " + dir + ": " + e.getMessage(), e);
    }
  }

  private static Optional<Path> initrd(Path dir) {
    Path file = dir.resolve(ImageFile.INITRD.fileName());
    return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
  }

  private static boolean isImage(Path dir) {
    return Files.isRegularFile(dir.resolve(ImageFile.KERNEL.fileName()))
        && Files.isRegularFile(dir.resolve(ImageFile.ROOTFS.fileName()));
  }
}
