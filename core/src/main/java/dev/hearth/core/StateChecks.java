package dev.hearth.core;

import dev.hearth.core.HostProbe.FileStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

/**
 * The doctor's checks of hearth's own state on this host: the state and runtime folders, the socket
 * group, the database, the guest SSH key, what reconcile quarantined, and privileges. They only
 * look: nothing is created or changed.
 */
public final class StateChecks {
  private static final long GIB = 1L << 30;
  private static final Duration BUSY_TIMEOUT = Duration.ofSeconds(10);

  private final Config config;
  private final Layout layout;
  private final Posix posix;
  private final HostProbe probe;

  public StateChecks(Config config, Posix posix, HostProbe probe) {
    this.config = config;
    this.layout = Layout.of(config);
    this.posix = posix;
    this.probe = probe;
  }

  public CheckOutcome stateDir() throws IOException {
    Path dir = layout.stateDir();
    Path measured = probe.nearestExisting(dir);
    long free = probe.usableSpace(measured);
    String detail =
        Sizes.format(free)
            + " free in "
            + dir
            + (measured.equals(dir) ? "" : " (not created yet; measured at " + measured + ")");
    String fix = "free space there or set state_dir to a filesystem with at least 10 GiB free";
    if (free < GIB) {
      return CheckOutcome.fail(detail + ": less than 1 GiB", fix);
    }
    if (free < 10 * GIB) {
      return CheckOutcome.warn(
          detail + ": less than 10 GiB, too little for more than a few VMs", fix);
    }
    return CheckOutcome.pass(detail);
  }

  public CheckOutcome runtimeDir() throws IOException {
    Path dir = layout.runtimeDir();
    int euid = posix.geteuid();
    Optional<FileStatus> status = probe.stat(dir);
    if (status.isEmpty()) {
      Path parent = probe.nearestExisting(dir);
      if (probe.canReadAndWrite(parent)) {
        return CheckOutcome.pass(
            dir + " does not exist yet; the daemon can create it in " + parent);
      }
      return CheckOutcome.fail(
          dir + " does not exist and " + parent + " is not writable by uid " + euid,
          "mkdir -p " + dir + " && chmod 755 " + dir + ", or set runtime_dir to a folder you own");
    }
    FileStatus s = status.get();
    String found = " (mode " + s.octalMode() + ", owner uid " + s.ownerUid() + ")";
    if (!s.directory()) {
      return CheckOutcome.fail(
          dir + " is not a folder" + found, "remove it or set runtime_dir elsewhere");
    }
    if ((s.mode() & 0002) != 0) {
      return CheckOutcome.fail(
          dir + " is world-writable" + found + ": anyone could replace the socket",
          "chmod o-w " + dir);
    }
    if (s.ownerUid() != 0 && s.ownerUid() != euid) {
      return CheckOutcome.fail(
          dir + " is owned by neither root nor uid " + euid + found,
          "chown root " + dir + " (or the daemon's user)");
    }
    return CheckOutcome.pass(dir + found);
  }

  public CheckOutcome socketGroup() {
    Optional<String> group = config.socketGroup();
    if (group.isEmpty()) {
      return CheckOutcome.pass("socket kept to root and the daemon's user (socket_group = \"\")");
    }
    OptionalInt gid = posix.groupId(group.get());
    if (gid.isPresent()) {
      return CheckOutcome.pass("group " + group.get() + " exists (gid " + gid.getAsInt() + ")");
    }
    return CheckOutcome.warn(
        "group "
            + group.get()
            + " does not exist: the daemon keeps the socket to root and its"
            + " own user",
        "groupadd " + group.get());
  }

  public CheckOutcome sqlite() {
    Path db = layout.database();
    if (!probe.exists(db)) {
      return CheckOutcome.pass(db + " does not exist: will be created at first daemon start");
    }
    int version;
    try {
      version = schemaVersion(db);
    } catch (SQLException e) {
      return CheckOutcome.fail(
          db + " cannot be read as a SQLite database: " + e.getMessage(),
          "move " + db + " aside (the daemon then starts with an empty one) or restore a backup");
    }
    int latest = Schema.latestVersion();
    if (version > latest) {
      return CheckOutcome.fail(
          db + " has schema version " + version + ", newer than this hearth knows (" + latest + ")",
          "upgrade hearth, or point state_dir elsewhere");
    }
    if (version < latest) {
      return CheckOutcome.pass(
          db
              + " has schema version "
              + version
              + "; the daemon migrates it to "
              + latest
              + " at start");
    }
    return CheckOutcome.pass(db + " has schema version " + version + " (current)");
  }

  /**
   * Reads PRAGMA user_version without creating or changing any file. A read-only connection to a
   * WAL database still creates the -wal and -shm files when they are missing, and cannot remove
   * them afterwards; so unless a daemon (or its crash) left them there to read through, the file is
   * opened as immutable, which reads the main file alone and touches nothing.
   */
  static int schemaVersion(Path db) throws SQLException {
    boolean walInUse =
        Files.exists(db.resolveSibling(db.getFileName() + "-wal"))
            && Files.exists(db.resolveSibling(db.getFileName() + "-shm"));
    SQLiteConfig sqlite = new SQLiteConfig();
    sqlite.setReadOnly(true);
    sqlite.setOpenMode(SQLiteOpenMode.OPEN_URI);
    sqlite.setBusyTimeout((int) BUSY_TIMEOUT.toMillis());
    String uri = db.toUri() + (walInUse ? "?mode=ro" : "?mode=ro&immutable=1");
    try (Connection c = sqlite.createConnection("jdbc:sqlite:" + uri);
        Statement st = c.createStatement()) {
      // Reading the schema fails on a file that is not a database, or a damaged one.
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_master")) {
        rs.next();
      }
      try (ResultSet rs = st.executeQuery("PRAGMA user_version")) {
        return rs.next() ? rs.getInt(1) : 0;
      }
    }
  }

  public CheckOutcome sshKey() throws IOException {
    Path key = layout.sshPrivateKey();
    Optional<FileStatus> status = probe.stat(key);
    if (status.isEmpty()) {
      return CheckOutcome.warn(
          key + " does not exist: created at first daemon start", "start the daemon once");
    }
    FileStatus s = status.get();
    if ((s.mode() & 0077) != 0) {
      return CheckOutcome.fail(
          key + " has mode " + s.octalMode() + ": group or others may read the private key",
          "chmod 600 " + key);
    }
    return CheckOutcome.pass(key + " (mode " + s.octalMode() + ")");
  }

  /**
   * What reconcile moved into the quarantine folder (found on disk, listed by no database row):
   * WARN naming each entry with its size, and the command that removes them once a person has
   * looked.
   */
  public CheckOutcome quarantine() throws IOException {
    Path dir = layout.quarantineDir();
    List<Path> entries = probe.list(dir);
    if (entries.isEmpty()) {
      return CheckOutcome.pass("nothing quarantined in " + dir);
    }
    List<String> listed = new ArrayList<>();
    long total = 0;
    for (Path entry : entries) {
      long bytes = probe.treeBytes(entry);
      total += bytes;
      listed.add(entry.getFileName() + " (" + Sizes.format(bytes) + ")");
    }
    return CheckOutcome.warn(
        entries.size()
            + " item(s), "
            + Sizes.format(total)
            + ", in "
            + dir
            + " that the database did not list when the daemon started (moved aside, not"
            + " deleted): "
            + String.join(", ", listed),
        "look inside and keep what you need, then remove them: rm -rf -- "
            + entries.stream()
                .map(e -> ShellQuote.quote(e.toString()))
                .collect(Collectors.joining(" ")));
  }

  public CheckOutcome privileges() {
    int euid = posix.geteuid();
    if (euid == 0) {
      return CheckOutcome.pass("running as root");
    }
    return CheckOutcome.warn(
        "running as uid " + euid + ": host networking and device-mapper need root",
        "run the daemon as root");
  }
}
