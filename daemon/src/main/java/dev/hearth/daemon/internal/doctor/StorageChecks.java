package dev.hearth.daemon.internal.doctor;

import dev.hearth.core.CommandException;
import dev.hearth.core.Config;
import dev.hearth.core.Posix;
import dev.hearth.core.Runner;
import dev.hearth.core.Schema;
import dev.hearth.core.Sizes;
import dev.hearth.daemon.internal.doctor.HostProbe.FileStatus;
import dev.hearth.daemon.internal.doctor.HostProbe.Reflink;
import dev.hearth.dmsnap.DeviceMapperProbe;
import dev.hearth.dmsnap.DeviceMapperStatus;
import dev.hearth.dmsnap.ProvisionerChoiceException;
import dev.hearth.dmsnap.ProvisionerKind;
import dev.hearth.dmsnap.Provisioners;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.OptionalInt;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

/**
 * The disk and state checks: device-mapper and the provisioner, state and runtime folders,
 * reflinks, the socket group, the database, the SSH key and privileges.
 */
final class StorageChecks extends HostChecks {
  private static final long GIB = 1L << 30;
  private static final String DM_UNAVAILABLE =
      "device-mapper snapshots unavailable: VM disks will be full copies (copy provisioner)";
  private static final String DM_FIX = "apt-get install dmsetup; modprobe dm_snapshot";
  private static final String NO_REFLINK = "copies will be sparse full copies";
  private static final String REFLINK_FIX =
      "put state_dir on a filesystem with reflinks (btrfs, or xfs with reflink=1)";
  private final DeviceMapperProbe deviceMapper;

  StorageChecks(
      Config config, Runner runner, Posix posix, HostProbe probe, DeviceMapperProbe deviceMapper) {
    super(config, runner, posix, probe);
    this.deviceMapper = deviceMapper;
  }

  Outcome deviceMapper() throws InterruptedException {
    DeviceMapperStatus status = deviceMapper.probe();
    return status.available()
        ? Outcome.pass(status.detail())
        : Outcome.warn(DM_UNAVAILABLE + "; " + status.detail(), DM_FIX);
  }

  /** The provisioner the daemon picks here, by the same rule ({@link Provisioners#choose}). */
  Outcome diskProvisioner(boolean dmSnapshots) {
    String configured = config.diskProvisioner();
    ProvisionerKind kind;
    try {
      kind = Provisioners.choose(configured, dmSnapshots);
    } catch (ProvisionerChoiceException e) {
      return Outcome.fail(
          e.getMessage(), DM_FIX + ", or set disk_provisioner = \"auto\" in " + configFile());
    }
    String why =
        !configured.equals("auto")
            ? "configured"
            : dmSnapshots
                ? "auto: device-mapper snapshots work"
                : "auto: device-mapper snapshots are unavailable";
    String what = kind == ProvisionerKind.COPY ? ": VM disks are full copies of the image" : "";
    return Outcome.pass(kind.configName() + " (" + why + ")" + what);
  }

  Outcome stateDir() throws IOException {
    Path dir = layout.stateDir();
    Path measured = nearestExisting(dir);
    long free = probe.usableSpace(measured);
    String detail =
        Sizes.format(free)
            + " free in "
            + dir
            + (measured.equals(dir) ? "" : " (not created yet; measured at " + measured + ")");
    String fix = "free space there or set state_dir to a filesystem with at least 10 GiB free";
    if (free < GIB) {
      return Outcome.fail(detail + ": less than 1 GiB", fix);
    }
    if (free < 10 * GIB) {
      return Outcome.warn(detail + ": less than 10 GiB, too little for more than a few VMs", fix);
    }
    return Outcome.pass(detail);
  }

  Outcome reflink() throws InterruptedException {
    Path dir = nearestExisting(layout.stateDir());
    Reflink reflink;
    try {
      reflink = probe.tryReflink(dir);
    } catch (IOException | CommandException e) {
      return Outcome.warn(
          "reflink could not be tested in " + dir + " (" + e.getMessage() + "): " + NO_REFLINK,
          REFLINK_FIX);
    }
    return reflink.supported()
        ? Outcome.pass(reflink.detail())
        : Outcome.warn(reflink.detail() + ": " + NO_REFLINK, REFLINK_FIX);
  }

  Outcome runtimeDir() throws IOException {
    Path dir = layout.runtimeDir();
    int euid = posix.geteuid();
    Optional<FileStatus> status = probe.stat(dir);
    if (status.isEmpty()) {
      Path parent = nearestExisting(dir);
      if (probe.canReadAndWrite(parent)) {
        return Outcome.pass(dir + " does not exist yet; the daemon can create it in " + parent);
      }
      return Outcome.fail(
          dir + " does not exist and " + parent + " is not writable by uid " + euid,
          "mkdir -p " + dir + " && chmod 755 " + dir + ", or set runtime_dir to a folder you own");
    }
    FileStatus s = status.get();
    String found = " (mode " + s.octalMode() + ", owner uid " + s.ownerUid() + ")";
    if (!s.directory()) {
      return Outcome.fail(
          dir + " is not a folder" + found, "remove it or set runtime_dir elsewhere");
    }
    if ((s.mode() & 0002) != 0) {
      return Outcome.fail(
          dir + " is world-writable" + found + ": anyone could replace the socket",
          "chmod o-w " + dir);
    }
    if (s.ownerUid() != 0 && s.ownerUid() != euid) {
      return Outcome.fail(
          dir + " is owned by neither root nor uid " + euid + found,
          "chown root " + dir + " (or the daemon's user)");
    }
    return Outcome.pass(dir + found);
  }

  Outcome socketGroup() {
    Optional<String> group = config.socketGroup();
    if (group.isEmpty()) {
      return Outcome.pass("socket kept to root and the daemon's user (socket_group = \"\")");
    }
    OptionalInt gid = posix.groupId(group.get());
    if (gid.isPresent()) {
      return Outcome.pass("group " + group.get() + " exists (gid " + gid.getAsInt() + ")");
    }
    return Outcome.warn(
        "group "
            + group.get()
            + " does not exist: the daemon keeps the socket to root and its"
            + " own user",
        "groupadd " + group.get());
  }

  Outcome sqlite() {
    Path db = layout.database();
    if (!probe.exists(db)) {
      return Outcome.pass(db + " does not exist: will be created at first daemon start");
    }
    int version;
    try {
      version = schemaVersion(db);
    } catch (SQLException e) {
      return Outcome.fail(
          db + " cannot be read as a SQLite database: " + e.getMessage(),
          "move " + db + " aside (the daemon then starts with an empty one) or restore a backup");
    }
    int latest = Schema.latestVersion();
    if (version > latest) {
      return Outcome.fail(
          db + " has schema version " + version + ", newer than this hearth knows (" + latest + ")",
          "upgrade hearth, or point state_dir elsewhere");
    }
    if (version < latest) {
      return Outcome.pass(
          db
              + " has schema version "
              + version
              + "; the daemon migrates it to "
              + latest
              + " at start");
    }
    return Outcome.pass(db + " has schema version " + version + " (current)");
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
    sqlite.setBusyTimeout((int) COMMAND_TIMEOUT.toMillis());
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

  Outcome sshKey() throws IOException {
    Path key = layout.sshPrivateKey();
    Optional<FileStatus> status = probe.stat(key);
    if (status.isEmpty()) {
      return Outcome.warn(
          key + " does not exist: created at first daemon start", "start the daemon once");
    }
    FileStatus s = status.get();
    if ((s.mode() & 0077) != 0) {
      return Outcome.fail(
          key + " has mode " + s.octalMode() + ": group or others may read the private key",
          "chmod 600 " + key);
    }
    return Outcome.pass(key + " (mode " + s.octalMode() + ")");
  }

  Outcome privileges() {
    int euid = posix.geteuid();
    if (euid == 0) {
      return Outcome.pass("running as root");
    }
    return Outcome.warn(
        "running as uid " + euid + ": host networking and device-mapper need root",
        "run the daemon as root");
  }
}
