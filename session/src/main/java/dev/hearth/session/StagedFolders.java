package dev.hearth.session;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The folders a copy wrote, with the modes and times they get once in place (see {@link
 * TarEntries}). An archive may hold {@link ArchiveLimits#maxEntries()} folders with names of {@link
 * ArchiveLimits#maxNameBytes()} each (gigabytes), so what is kept is bounded by {@link #BUDGET}:
 * past it the copy fails.
 */
final class StagedFolders {
  /** Most bytes kept: each folder's path under the staging folder (UTF-8) plus {@link #COST}. */
  static final long BUDGET = 128L << 20;

  /** What keeping one folder costs besides its path's bytes: its map entry, mode and time. */
  static final int COST = 256;

  /** By their path under the staging folder, names joined with '/' (a name never holds one). */
  private final Map<String, Meta> byPath = new HashMap<>();

  private final long budget;
  private long kept;

  /** A folder's mode and time. */
  record Meta(Set<PosixFilePermission> mode, FileTime modified) {}

  /** A folder as placed, with its depth (its path's names). */
  private record Placed(int depth, Path path, Meta meta) {
    static Placed of(Path entry, String path, Meta meta) {
      // The path's first name is the entry's own, as the archive named it.
      int slash = path.indexOf('/');
      Path placed = slash < 0 ? entry : entry.resolve(path.substring(slash + 1));
      return new Placed(placed.getNameCount(), placed, meta);
    }
  }

  /** At most {@code budget} bytes kept, counted as for {@link #BUDGET}. */
  StagedFolders(long budget) {
    this.budget = budget;
  }

  /**
   * Keeps {@code meta} for the folder at {@code segments} (an earlier entry's for it is replaced).
   *
   * @throws GuestArchiveException past its budget
   */
  void put(List<String> segments, Meta meta) {
    String path = String.join("/", segments);
    if (byPath.replace(path, meta) != null) {
      return;
    }
    kept += path.getBytes(StandardCharsets.UTF_8).length + COST;
    if (kept > budget) {
      throw TarEntries.tooLarge(
          "more folders than "
              + budget
              + " bytes can keep (their paths, plus "
              + COST
              + " bytes each)");
    }
    byPath.put(path, meta);
  }

  /**
   * Gives the folders, now under {@code entry} (the copied entry as placed), their modes and times:
   * deepest first, as a parent's mode may take away the search right its children need. A folder no
   * longer there (or no longer a folder) is passed over.
   */
  void apply(Path entry) throws IOException {
    List<Placed> deepestFirst = new ArrayList<>(byPath.size());
    byPath.forEach((path, meta) -> deepestFirst.add(Placed.of(entry, path, meta)));
    deepestFirst.sort(Comparator.comparingInt(Placed::depth).reversed());
    for (Placed folder : deepestFirst) {
      Path placed = folder.path();
      if (Files.isDirectory(placed, LinkOption.NOFOLLOW_LINKS)) {
        Meta meta = folder.meta();
        if (meta.modified() != null) {
          Files.setLastModifiedTime(placed, meta.modified());
        }
        Files.setPosixFilePermissions(placed, meta.mode());
      }
    }
  }
}
