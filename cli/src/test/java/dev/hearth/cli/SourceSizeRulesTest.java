package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps every Java file of the project, main and test sources of every module, at most {@value
 * #MAX_LINES} lines (ARCHITECTURE.md, "Build checks"): past that, a class holds more than one job
 * and is split along its seams.
 */
class SourceSizeRulesTest {
  static final int MAX_LINES = 500;

  private final Path root = Path.of("").toAbsolutePath().getParent();

  @Test
  void noJavaFileIsLongerThanTheLimit() throws IOException {
    List<String> tooLong;
    try (Stream<Path> files = Files.walk(root)) {
      tooLong =
          files
              .filter(f -> f.toString().endsWith(".java"))
              .filter(f -> root.relativize(f).toString().contains("/src/"))
              .filter(f -> !root.relativize(f).toString().contains("/target/"))
              .filter(f -> lines(f) > MAX_LINES)
              .map(f -> root.relativize(f) + " (" + lines(f) + " lines)")
              .sorted()
              .toList();
    }
    assertThat(tooLong).as("Java files over %d lines", MAX_LINES).isEmpty();
  }

  @Test
  void theWalkSeesTheWholeProject() throws IOException {
    // A wrong root would pass the rule above with nothing checked.
    assertThat(root.resolve("daemon/src/main/java/dev/hearth/daemon/Daemon.java")).exists();
    assertThat(lines(root.resolve("daemon/src/main/java/dev/hearth/daemon/Daemon.java")))
        .isGreaterThan(100);
  }

  private static long lines(Path file) {
    try (Stream<String> lines = Files.lines(file)) {
      return lines.count();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
