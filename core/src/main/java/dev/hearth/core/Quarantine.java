package dev.hearth.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;

/**
 * Moves aside what reconcile finds on disk and the database does not list, instead of deleting it:
 * {@code <state_dir>/quarantine/<UTC time>-<label>}, one {@code rename(2)} on the state folder's
 * filesystem, synced. A database that lost a row (a restored backup, a damaged file) then costs no
 * data: `hearth doctor` lists what is there, and a person decides (ARCHITECTURE.md, "Durability").
 */
public final class Quarantine {
  static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private final Path dir;
  private final Clock clock;
  private final FileSync sync;

  public Quarantine(Layout layout, Clock clock, FileSync sync) {
    this.dir = layout.quarantineDir();
    this.clock = clock;
    this.sync = sync;
  }

  public Path dir() {
    return dir;
  }

  /**
   * Moves a file or folder into the quarantine folder as {@code <UTC time>-<label>} (with {@code
   * -2}, {@code -3}, ... when that name is taken), then syncs both folders.
   *
   * @param label what it was, safe in a file name: e.g. {@code vm-<id>} (letters, digits, {@code
   *     .}, {@code _}, {@code -})
   * @return where it is now
   * @throws IOException naming the path when the move fails (it is then still where it was)
   */
  public Path moveAside(Path path, String label) throws IOException {
    if (!LABEL.matcher(label).matches()) {
      throw new IllegalArgumentException("invalid quarantine label '" + Printable.of(label) + "'");
    }
    sync.createDirectories(dir);
    String base = STAMP.format(clock.now()) + "-" + label;
    Path target = dir.resolve(base);
    for (int i = 2; Files.exists(target, LinkOption.NOFOLLOW_LINKS); i++) {
      target = dir.resolve(base + "-" + i);
    }
    try {
      Files.move(path, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new IOException("cannot move " + path + " into quarantine as " + target + ": " + e, e);
    }
    sync.directory(dir);
    sync.directory(path.toAbsolutePath().getParent());
    return target;
  }
}
