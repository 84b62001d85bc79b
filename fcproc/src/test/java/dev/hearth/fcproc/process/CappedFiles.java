package dev.hearth.fcproc.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading a file a capper writes, for tests that wait for its content. */
final class CappedFiles {
  private CappedFiles() {}

  /**
   * The file's text, or "" when there is no file: before the capper's first write, and for a moment
   * at each rotation, between its {@code mv} to {@code <file>.1} and its next write.
   */
  static String textNow(Path file) throws IOException {
    try {
      return Files.readString(file);
    } catch (NoSuchFileException betweenRotations) {
      return "";
    }
  }
}
