package dev.hearth.daemon.internal.doctor;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the doctor asks of the host's filesystem and {@code /proc}. {@link LinuxHostProbe} is the
 * real one; tests pass a fake so that every check can be driven to PASS, WARN and FAIL.
 */
public interface HostProbe {

  /** A file's type, permission bits (the low 12 bits of st_mode) and owner. */
  record FileStatus(boolean directory, int mode, int ownerUid) {
    /** The permission bits as a person reads them, e.g. {@code 0755}. */
    public String octalMode() {
      return String.format("%04o", mode & 07777);
    }
  }

  /**
   * A socket bound on the host: an unconnected {@code udp}/{@code udp6} socket or a listening
   * {@code tcp}/{@code tcp6} one.
   */
  record BoundSocket(String protocol, InetAddress address, int port, int uid, long inode) {
    public String display() {
      String host = address.getHostAddress();
      return protocol + " " + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /** The outcome of a reflink copy attempt: whether it worked and, if not, why. */
  record Reflink(boolean supported, String detail) {}

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

  /** Finds a program on PATH, then in {@code /usr/sbin} and {@code /sbin}. */
  Optional<Path> findExecutable(String program);

  /** Tries a reflink copy of a small temporary file inside the folder, and cleans up. */
  Reflink tryReflink(Path dir) throws IOException, InterruptedException;

  /** Every bound UDP socket and listening TCP socket, IPv4 and IPv6. */
  List<BoundSocket> boundSockets() throws IOException;

  /** Socket inodes held open by this process, so that our own listeners are not reported. */
  Set<Long> ownSocketInodes() throws IOException;
}
