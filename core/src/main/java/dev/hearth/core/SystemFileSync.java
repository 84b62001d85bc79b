package dev.hearth.core;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** {@link FileSync} on the host: fsync(2) through a read-only channel (Linux allows it). */
final class SystemFileSync implements FileSync {
  static final SystemFileSync INSTANCE = new SystemFileSync();

  private SystemFileSync() {}

  @Override
  public void file(Path file) throws IOException {
    force(file);
  }

  @Override
  public void directory(Path dir) throws IOException {
    force(dir);
  }

  private static void force(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
