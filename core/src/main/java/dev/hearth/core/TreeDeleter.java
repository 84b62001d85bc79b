package dev.hearth.core;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * hearth's one recursive delete, which never crosses into another filesystem. An image build
 * chroots into its staging folder with /proc, /sys and /dev mounted inside; if a crash left one of
 * them mounted, a plain recursive delete would walk into the host's /dev. Such a tree is refused
 * whole instead.
 */
public final class TreeDeleter {
  /** Walks over a tree that a still running process adds files to, before giving up. */
  private static final int ATTEMPTS = 3;

  private TreeDeleter() {}

  /**
   * Deletes {@code root} and everything under it (symbolic links are removed, never followed);
   * nothing when it does not exist.
   *
   * @throws IOException naming the mount points when another filesystem is mounted inside (nothing
   *     is deleted then), or naming the tree and the path that could not be deleted
   */
  public static void delete(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    List<Path> mounts;
    try {
      mounts = foreignMounts(root);
    } catch (IOException e) {
      throw new IOException("cannot delete " + root + ": " + e, e);
    }
    if (!mounts.isEmpty()) {
      throw new IOException(
          "not deleting "
              + root
              + ": other filesystems are mounted inside it ("
              + mounts
              + "); unmount them (umount -l) and retry");
    }
    IOException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        deleteWalk(root);
        return;
      } catch (DirectoryNotEmptyException e) {
        // A process still running there (a VM's console writer) made a file after the walk read
        // the folder: walk again.
        last = e;
      } catch (IOException e) {
        throw new IOException("cannot delete " + root + ": " + e, e);
      }
    }
    throw new IOException("cannot delete " + root + ": " + last, last);
  }

  /**
   * One depth-first delete. What vanishes meanwhile (a process removing its own files) is already
   * done, as with {@code rm -rf}.
   */
  private static void deleteWalk(Path root) throws IOException {
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null && !(e instanceof NoSuchFileException)) {
              throw e;
            }
            Files.deleteIfExists(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /** Folders under {@code root} on another device than {@code root} itself. */
  private static List<Path> foreignMounts(Path root) throws IOException {
    Object rootDevice = device(root);
    List<Path> mounts = new ArrayList<>();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            Object device;
            try {
              device = device(dir);
            } catch (NoSuchFileException gone) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            if (!device.equals(rootDevice)) {
              mounts.add(dir);
              return FileVisitResult.SKIP_SUBTREE;
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }
        });
    return mounts;
  }

  private static Object device(Path path) throws IOException {
    return Files.getAttribute(path, "unix:dev", LinkOption.NOFOLLOW_LINKS);
  }
}
