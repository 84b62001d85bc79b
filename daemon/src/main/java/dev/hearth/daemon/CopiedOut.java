package dev.hearth.daemon;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What a copy out of a guest wrote on the host ({@link Vms#copyOut(String, String, Path,
 * CopyLimits)}).
 *
 * @param path where the copied file or folder now is
 * @param bytes the size of the guest's archive
 * @param refused the first refused entries (at most 100), in archive order
 * @param refusedCount how many entries were refused in all
 */
public record CopiedOut(Path path, long bytes, List<Refused> refused, long refusedCount) {
  public CopiedOut {
    Objects.requireNonNull(path, "path");
    refused = List.copyOf(refused);
  }

  /**
   * An entry of the guest's archive that was not written.
   *
   * @param name the entry's name as the guest sent it: not escaped, so escape it before printing
   *     (core's {@code Printable})
   * @param reason why, e.g. {@code "a device"}; names in it are escaped
   */
  public record Refused(String name, String reason) {}
}
