package dev.hearth.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What host checks ask of the host's filesystem: files, their modes, free space, small {@code
 * /proc} texts and programs on PATH. {@link LinuxHostProbe} is the real one; tests pass a fake so
 * that every check can be driven to PASS, WARN and FAIL. Checks only look: nothing here changes the
 * host.
 */
public interface HostProbe {

  /** A file's type, permission bits (the low 12 bits of st_mode) and owner. */
  record FileStatus(boolean directory, int mode, int ownerUid) {
    /** The permission bits as a person reads them, e.g. {@code 0755}. */
    public String octalMode() {
      return String.format("%04o", mode & 07777);
    }
  }

  /** Whether the path exists (following symbolic links). */
  boolean exists(Path path);

  /** The file's status, or empty when it does not exist. */
  Optional<FileStatus> stat(Path path) throws IOException;

  /** Whether this process may read and write the path (access(2), so root passes). */
  boolean canReadAndWrite(Path path);

  /** Whether the path is a file this process may execute. */
  boolean isExecutable(Path path);

  /** Reads a small text file such as a {@code /proc/sys} entry. */
  String readSmallText(Path path) throws IOException;

  /** Bytes available to this process on the filesystem holding the folder. */
  long usableSpace(Path dir) throws IOException;

  /** The entries of a folder, sorted by name; empty when the folder does not exist. */
  List<Path> list(Path dir) throws IOException;

  /**
   * The bytes of the regular files at or under {@code path} (apparent sizes; links not followed).
   */
  long treeBytes(Path path) throws IOException;

  /** The total size in bytes of the filesystem holding the folder. */
  long totalSpace(Path dir) throws IOException;

  /** Finds a program on PATH, as hearth runs host programs (by name, through PATH). */
  Optional<Path> findExecutable(String program);

  /** The path itself when it exists, else its nearest existing ancestor. */
  default Path nearestExisting(Path path) {
    Path candidate = path;
    while (candidate != null && !exists(candidate)) {
      candidate = candidate.getParent();
    }
    return candidate == null ? path.getRoot() : candidate;
  }
}
