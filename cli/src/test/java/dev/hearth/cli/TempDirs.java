package dev.hearth.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Short temporary folders under /tmp: a Unix socket path has at most 107 bytes, more than JUnit's
 * temp folders leave room for.
 */
final class TempDirs {
  private TempDirs() {}

  static Path create() throws IOException {
    return Files.createTempDirectory(Path.of("/tmp"), "hc");
  }

  static void delete(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
