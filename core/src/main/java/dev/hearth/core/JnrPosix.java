package dev.hearth.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import jnr.posix.Group;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import jnr.posix.Passwd;

/** {@link Posix} over JNR-POSIX with its native backend. */
final class JnrPosix implements Posix {
  private static final int ESRCH = 3;
  private static final int ENXIO = 6;
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 02000000;
  private static final int SEEK_DATA = 3;
  private static final int SEEK_HOLE = 4;

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
  public Optional<User> user(String name) {
    Passwd passwd = posix.getpwnam(name);
    return passwd == null
        ? Optional.empty()
        : Optional.of(new User((int) passwd.getUID(), (int) passwd.getGID()));
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

  @Override
  public FileExtents openExtents(Path file) throws IOException {
    int fd = posix.open(file.toString(), O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
      throw failure("open", file, posix.errno());
    }
    return new FileExtents() {
      @Override
      public long nextData(long offset) throws IOException {
        long at = posix.lseekLong(fd, offset, SEEK_DATA);
        if (at >= 0) {
          return at;
        }
        int errno = posix.errno();
        if (errno == ENXIO) {
          return -1;
        }
        throw failure("lseek SEEK_DATA", file, errno);
      }

      @Override
      public long nextHole(long offset) throws IOException {
        long at = posix.lseekLong(fd, offset, SEEK_HOLE);
        if (at < 0) {
          throw failure("lseek SEEK_HOLE", file, posix.errno());
        }
        return at;
      }

      @Override
      public void close() {
        posix.close(fd);
      }
    };
  }

  private IOException failure(String call, Path file, int errno) {
    return new IOException(
        call + " " + file + " failed: " + posix.strerror(errno) + " (errno " + errno + ")");
  }
}
