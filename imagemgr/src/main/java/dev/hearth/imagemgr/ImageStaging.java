package dev.hearth.imagemgr;

import dev.hearth.core.Clock;
import dev.hearth.core.FileSync;
import dev.hearth.core.Names;
import dev.hearth.core.Posix;
import dev.hearth.core.Runner;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles images in private folders under a staging folder and publishes each into the images
 * folder with one rename, so that an image is visible complete or not at all. Both folders must be
 * on the same filesystem (the daemon passes {@code Layout.imageStagingDir()} and {@code
 * Layout.imagesDir()}, both under the state folder).
 *
 * <p>Not a lock: the caller serialises image mutations (the daemon's {@code imageOpsLock}), which
 * is what makes the conflict check before the rename exact.
 */
public final class ImageStaging {
  private static final Logger log = LoggerFactory.getLogger(ImageStaging.class);
  static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

  private final Path stagingDir;
  private final Path imagesDir;
  private final Runner runner;
  private final Clock clock;
  private final FileSync fileSync;
  private final DirectoryRenamer renamer;
  private final Posix posix;

  /** Staging that syncs through {@link FileSync#system()}. */
  public ImageStaging(Path stagingDir, Path imagesDir, Runner runner, Clock clock) {
    this(stagingDir, imagesDir, runner, clock, FileSync.system());
  }

  /**
   * @param fileSync syncs the staged files and folders before the publishing rename, and the images
   *     folder after it (ARCHITECTURE.md, "Durability")
   */
  public ImageStaging(
      Path stagingDir, Path imagesDir, Runner runner, Clock clock, FileSync fileSync) {
    this(stagingDir, imagesDir, runner, clock, fileSync, DirectoryRenamer.ATOMIC, Posix.system());
  }

  /** The folder that holds images while they are made (one per daemon's state folder). */
  public Path stagingDir() {
    return stagingDir;
  }

  ImageStaging(
      Path stagingDir,
      Path imagesDir,
      Runner runner,
      Clock clock,
      FileSync fileSync,
      DirectoryRenamer renamer,
      Posix posix) {
    this.posix = posix;
    this.stagingDir = stagingDir.toAbsolutePath().normalize();
    this.imagesDir = imagesDir.toAbsolutePath().normalize();
    this.runner = runner;
    this.clock = clock;
    this.fileSync = fileSync;
    this.renamer = renamer;
  }

  /**
   * Starts staging an image: a new private (0700) folder {@code <staging>/<name>.<random>}.
   *
   * @throws dev.hearth.core.InvalidNameException when the name breaks the image naming rule
   * @throws ImageConflictException when an image of that name is already published (checked again
   *     at publish)
   * @throws ImageStagingException when the folder cannot be created
   */
  public StagedImage begin(String name) {
    ImageNames.requireValid(name);
    requireFree(name);
    try {
      Files.createDirectories(stagingDir);
      Files.setPosixFilePermissions(stagingDir, PRIVATE);
      Path folder = stagingDir.resolve(name + "." + Names.newId());
      Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(PRIVATE));
      // The umask may have narrowed the creation mode; say it exactly.
      Files.setPosixFilePermissions(folder, PRIVATE);
      log.debug("staging image {} in {}", name, folder);
      return new StagedImage(
          name, folder, imagesDir.resolve(name), runner, clock, fileSync, renamer, posix);
    } catch (IOException e) {
      throw new ImageStagingException(
          "cannot create a staging folder in " + stagingDir + ": " + e, e);
    }
  }

  /** The folder of a published image (which may not exist). */
  public Path imageDir(String name) {
    return imagesDir.resolve(ImageNames.requireValid(name));
  }

  /**
   * Deletes a published image. {@code check} (that nothing uses it) runs first; then the folder is
   * renamed into the staging folder, so that it leaves the images folder at once, and {@code check}
   * runs again, since a user may have read the image just before the rename: if it throws now, the
   * folder is renamed back and its exception propagates. Then the folder is removed; what cannot be
   * removed is logged and left to {@link #cleanupStale} at the next start.
   *
   * @throws ImageNotFoundException when no image folder of that name exists
   * @throws ImageStagingException when a rename fails
   */
  public void delete(String name, Runnable check) {
    Path dir = imageDir(name);
    if (!Files.isDirectory(dir)) {
      throw new ImageNotFoundException("no image folder " + dir);
    }
    check.run();
    Path doomed = stagingDir.resolve(name + ".deleted." + Names.newId());
    try {
      Files.createDirectories(stagingDir);
      Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new ImageStagingException("cannot move " + dir + " away: " + e.getMessage(), e);
    }
    try {
      check.run();
    } catch (RuntimeException e) {
      try {
        Files.move(doomed, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException m) {
        throw new ImageStagingException(
            "cannot move " + doomed + " back to " + dir + ": " + m.getMessage(), m);
      }
      throw e;
    }
    try {
      StagedImage.deleteTree(doomed);
    } catch (ImageStagingException e) {
      // The folder is already out of the images folder; the next start removes what is left.
      log.warn("could not remove {} entirely: {}", doomed, e.getMessage());
    }
  }

  /**
   * Removes every staging folder, for the daemon's start, when no staging can be in progress: all
   * of them are leftovers of a crash. A folder with a filesystem still mounted inside (a build
   * chroot's /proc, /sys or /dev) is left alone, and reported once the others are gone.
   *
   * @return the folders removed
   * @throws ImageStagingException naming the folders that could not be removed and why
   */
  public List<Path> cleanupStale() {
    if (!Files.isDirectory(stagingDir)) {
      return List.of();
    }
    List<Path> removed = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(stagingDir)) {
      for (Path entry : entries) {
        try {
          StagedImage.deleteTree(entry);
          removed.add(entry);
          log.info("removed stale image staging folder {}", entry);
        } catch (ImageStagingException e) {
          problems.add(e.getMessage());
        }
      }
    } catch (IOException e) {
      throw new ImageStagingException("cannot list " + stagingDir + ": " + e, e);
    }
    if (!problems.isEmpty()) {
      throw new ImageStagingException(String.join("; ", problems));
    }
    return removed;
  }

  private void requireFree(String name) {
    if (Files.exists(imagesDir.resolve(name))) {
      throw new ImageConflictException(name);
    }
  }
}
