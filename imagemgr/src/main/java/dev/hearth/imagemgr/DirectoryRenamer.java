package dev.hearth.imagemgr;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The one filesystem operation that publishes an image; a seam so tests can watch or fail it. */
@FunctionalInterface
interface DirectoryRenamer {
  /** rename(2): atomic, and refused across filesystems. */
  DirectoryRenamer ATOMIC = (from, to) -> Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);

  void rename(Path from, Path to) throws IOException;
}
