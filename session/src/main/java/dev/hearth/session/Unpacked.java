package dev.hearth.session;

import java.nio.file.Path;
import java.util.List;

/**
 * What a copy out of a guest wrote on the host.
 *
 * @param path where the copied file or folder now is
 * @param archiveBytes the size of the guest's archive
 * @param refused the first refused entries (at most {@link GuestTarExtractor#REFUSED_KEPT}), in
 *     archive order
 * @param refusedCount how many entries were refused in all
 */
public record Unpacked(
    Path path, long archiveBytes, List<RefusedEntry> refused, long refusedCount) {
  public Unpacked {
    refused = List.copyOf(refused);
  }
}
