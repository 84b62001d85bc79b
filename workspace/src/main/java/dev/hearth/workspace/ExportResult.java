package dev.hearth.workspace;

import java.util.Objects;
import java.util.Optional;

/**
 * What an export did to the host repository.
 *
 * @param branch the full ref it wrote
 * @param previous the commit the branch had before; empty when it was made
 * @param tip the commit it has now
 * @param commits how many commits the branch gained
 */
public record ExportResult(String branch, Optional<String> previous, String tip, int commits) {
  public ExportResult {
    Objects.requireNonNull(branch, "branch");
    Objects.requireNonNull(previous, "previous");
    Objects.requireNonNull(tip, "tip");
  }
}
