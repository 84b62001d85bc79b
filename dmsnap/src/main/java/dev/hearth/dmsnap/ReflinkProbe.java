package dev.hearth.dmsnap;

import dev.hearth.core.HostProbe;
import dev.hearth.core.Runner;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Whether reflink copies work in a folder, for the doctor: {@link #cp} tries {@code cp
 * --reflink=always} on a small temporary file and removes both files again; tests pass a fake.
 */
@FunctionalInterface
public interface ReflinkProbe {

  /** The outcome of a reflink copy attempt: whether it worked and, if not, why. */
  record Reflink(boolean supported, String detail) {}

  /** Tries a reflink copy of a small temporary file inside the folder, and cleans up. */
  Reflink tryReflink(Path dir) throws IOException, InterruptedException;

  /** The real probe: the {@code cp} found on PATH through {@code probe}, run by {@code runner}. */
  static ReflinkProbe cp(Runner runner, HostProbe probe) {
    return new CpReflinkProbe(runner, probe);
  }
}
