package dev.hearth.core.rpc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** The supplementary group ids of a running process. */
@FunctionalInterface
public interface SupplementaryGroups {

  /**
   * The groups of process {@code pid}.
   *
   * @throws IOException when the process cannot be inspected (it exited, for instance)
   */
  Set<Long> of(long pid) throws IOException;

  /** Reads the {@code Groups:} line of {@code <procRoot>/<pid>/status}; procRoot is /proc. */
  static SupplementaryGroups fromProc(Path procRoot) {
    return pid -> {
      Path status = procRoot.resolve(Long.toString(pid)).resolve("status");
      for (String line : Files.readAllLines(status, StandardCharsets.UTF_8)) {
        if (line.startsWith("Groups:")) {
          Set<Long> groups = new HashSet<>();
          for (String id : line.substring("Groups:".length()).trim().split("\\s+")) {
            if (!id.isEmpty()) {
              groups.add(Long.parseLong(id));
            }
          }
          return groups;
        }
      }
      throw new IOException(status + " has no Groups: line");
    };
  }
}
