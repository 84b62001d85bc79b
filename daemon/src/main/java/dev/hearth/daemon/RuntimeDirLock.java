package dev.hearth.daemon;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The exclusive lock on a runtime folder's lock file that makes one daemon its only server. */
final class RuntimeDirLock implements AutoCloseable {
  /**
   * Lock files this process holds. The kernel's record locks belong to the process, and closing any
   * channel on the file drops them, so a second daemon in the same JVM must not even open the file.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path key;
  private final FileChannel channel;

  private RuntimeDirLock(Path key, FileChannel channel) {
    this.key = key;
    this.channel = channel;
  }

  /**
   * Takes the lock.
   *
   * @throws DaemonAlreadyRunningException when another daemon holds it, naming the pid in {@code
   *     pidFile}
   * @throws DaemonException when the lock file cannot be opened
   */
  static RuntimeDirLock acquire(Path lockFile, Path pidFile) {
    Path key;
    try {
      key = lockFile.getParent().toRealPath().resolve(lockFile.getFileName());
    } catch (IOException e) {
      throw new DaemonException("cannot resolve the folder of lock file " + lockFile + ": " + e, e);
    }
    if (!HELD.add(key)) {
      throw alreadyRunning(lockFile.getParent(), pidFile);
    }
    FileChannel channel = null;
    try {
      channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw alreadyRunning(lockFile.getParent(), pidFile);
      }
      return new RuntimeDirLock(key, channel);
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel, e);
      HELD.remove(key);
      if (e instanceof RuntimeException) {
        throw (RuntimeException) e;
      }
      throw new DaemonException("cannot lock " + lockFile + ": " + e.getMessage(), e);
    }
  }

  private static DaemonAlreadyRunningException alreadyRunning(Path runtimeDir, Path pidFile) {
    long pid = readPid(pidFile);
    String shown = pid < 0 ? "pid unknown: " + pidFile + " is unreadable" : "pid " + pid;
    return new DaemonAlreadyRunningException(
        "a hearth daemon is already running for " + runtimeDir + " (" + shown + ")", pid);
  }

  private static long readPid(Path pidFile) {
    try {
      return Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).trim());
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  private static void closeQuietly(FileChannel channel, Exception failure) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }

  /** Releases the lock. */
  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      HELD.remove(key);
    }
  }
}
