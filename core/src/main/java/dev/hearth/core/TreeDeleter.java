package dev.hearth.core;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
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
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.delete(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
              if (e != null) {
                throw e;
              }
              Files.delete(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new IOException("cannot delete " + root + ": " + e, e);
    }
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
            if (!device(dir).equals(rootDevice)) {
              mounts.add(dir);
              return FileVisitResult.SKIP_SUBTREE;
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return mounts;
  }

  private static Object device(Path path) throws IOException {
    return Files.getAttribute(path, "unix:dev", LinkOption.NOFOLLOW_LINKS);
  }
}
