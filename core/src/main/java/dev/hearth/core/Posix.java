package dev.hearth.core;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The POSIX calls hearth makes that the JDK does not offer. {@link #system()} is the real one
 * (JNR-POSIX); tests pass a fake.
 */
public interface Posix {

  /** Signals hearth sends, with their Linux numbers. */
  enum Signal {
    SIGHUP(1),
    SIGINT(2),
    SIGKILL(9),
    SIGTERM(15),
    SIGCONT(18),
    SIGSTOP(19);

    private final int number;

    Signal(int number) {
      this.number = number;
    }

    public int number() {
      return number;
    }
  }

  int getuid();

  int geteuid();

  int getgid();

  int getpid();

  /**
   * Sends a signal; a negative pid addresses a process group.
   *
   * @return false when no such process exists (ESRCH), true when the signal was sent
   * @throws CoreException on any other error (EPERM, for instance)
   */
  boolean kill(int pid, Signal signal);

  /** A user's uid and primary gid. */
  record User(int uid, int gid) {}

  /** The named user's ids, if the user exists. */
  Optional<User> user(String name);

  /** The id of the named group, if the group exists. */
  OptionalInt groupId(String name);

  /** Changes a file's group, keeping its owner. */
  void chgrp(Path path, int gid);

  /**
   * Opens a regular file read-only to walk its data extents.
   *
   * @throws java.io.IOException naming the file when it cannot be opened
   */
  FileExtents openExtents(Path file) throws java.io.IOException;

  /** The real implementation, backed by JNR-POSIX. */
  static Posix system() {
    return new JnrPosix();
  }
}
