package dev.hearth.core;

import java.nio.file.Path;
import java.util.OptionalInt;
import jnr.posix.Group;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/** {@link Posix} over JNR-POSIX with its native backend. */
final class JnrPosix implements Posix {
  private static final int ESRCH = 3;

  private final POSIX posix = POSIXFactory.getNativePOSIX();

  @Override
  public int getuid() {
    return posix.getuid();
  }

  @Override
  public int geteuid() {
    return posix.geteuid();
  }

  @Override
  public int getgid() {
    return posix.getgid();
  }

  @Override
  public int getpid() {
    return posix.getpid();
  }

  @Override
  public boolean kill(int pid, Signal signal) {
    if (posix.kill(pid, signal.number()) == 0) {
      return true;
    }
    int errno = posix.errno();
    if (errno == ESRCH) {
      return false;
    }
    throw new CoreException(
        "kill("
            + pid
            + ", "
            + signal
            + ") failed: "
            + posix.strerror(errno)
            + " (errno "
            + errno
            + ")");
  }

  @Override
  public OptionalInt groupId(String name) {
    Group group = posix.getgrnam(name);
    return group == null ? OptionalInt.empty() : OptionalInt.of((int) group.getGID());
  }

  @Override
  public void chgrp(Path path, int gid) {
    if (posix.chown(path.toString(), -1, gid) != 0) {
      int errno = posix.errno();
      throw new CoreException(
          "chgrp "
              + gid
              + " "
              + path
              + " failed: "
              + posix.strerror(errno)
              + " (errno "
              + errno
              + ")");
    }
  }
}
