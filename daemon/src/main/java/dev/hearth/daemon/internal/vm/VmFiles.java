package dev.hearth.daemon.internal.vm;

import dev.hearth.core.TreeDeleter;
import dev.hearth.daemon.DaemonException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The files of a VM's folder and the file operations the VM lifecycle shares. */
final class VmFiles {
  private static final Logger log = LoggerFactory.getLogger(VmFiles.class);

  static final String CONSOLE_LOG = "console.log";
  static final String FIRECRACKER_LOG = "firecracker.log";
  static final String METRICS = "metrics.json";

  private VmFiles() {}

  static List<Path> children(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      entries.forEach(found::add);
    } catch (IOException e) {
      throw new DaemonException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    return found;
  }

  static void deleteTree(Path dir) {
    try {
      TreeDeleter.delete(dir);
    } catch (IOException e) {
      throw new DaemonException(e.getMessage(), e);
    }
  }

  static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", file, e.getMessage());
    }
  }

  static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new DaemonException("cannot read the size of " + file + ": " + e.getMessage(), e);
    }
  }
}
