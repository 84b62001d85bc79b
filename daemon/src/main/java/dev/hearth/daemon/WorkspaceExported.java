package dev.hearth.daemon;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What an export wrote in the host repository.
 *
 * @param branch the branch, without {@code refs/heads/}
 * @param previous the commit it had before; empty when the export made it
 * @param tip the commit it has now
 * @param commits how many commits it gained
 */
public record WorkspaceExported(
    Path hostPath, String branch, Optional<String> previous, String tip, int commits) {
  public WorkspaceExported {
    Objects.requireNonNull(hostPath, "hostPath");
    Objects.requireNonNull(branch, "branch");
    Objects.requireNonNull(previous, "previous");
    Objects.requireNonNull(tip, "tip");
  }
}
