package dev.hearth.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * fsync(2), the step that makes a file's bytes and a folder's entries survive a power cut. hearth
 * syncs what it made before it commits the row (or does the rename) that says the thing exists
 * (ARCHITECTURE.md, "Durability"). {@link #system()} is the real one; tests pass a fake that
 * records the order of the syncs.
 */
public interface FileSync {

  /** Syncs a file's data and metadata (a block device: its buffers). */
  void file(Path file) throws IOException;

  /** Syncs a folder, which makes the entries created, renamed or removed in it durable. */
  void directory(Path dir) throws IOException;

  /**
   * Creates {@code dir} and its missing parents, like {@link Files#createDirectories}, and syncs
   * the parent of each folder it created, so that the new folders survive a power cut.
   */
  default void createDirectories(Path dir) throws IOException {
    Deque<Path> missing = new ArrayDeque<>();
    for (Path p = dir.toAbsolutePath(); p != null && !Files.isDirectory(p); p = p.getParent()) {
      missing.push(p);
    }
    while (!missing.isEmpty()) {
      Path created = missing.pop();
      Files.createDirectories(created);
      directory(created.getParent());
    }
  }

  /** The real one: {@code FileChannel.force(true)} on the path opened for reading. */
  static FileSync system() {
    return SystemFileSync.INSTANCE;
  }
}
