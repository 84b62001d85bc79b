package dev.hearth.session.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Ends the processes that sessions started by tests left behind, for tests that run the session
 * scripts on this host (the session module's own and the daemon's).
 */
public final class SessionProcesses {
  private SessionProcesses() {}

  /**
   * Kills the processes of every session under {@code root} that has not exited: the wrapper
   * first (as a power cut would: no exit file gets written), then the holder and the command's
   * process group. Each pid is checked against /proc first, so a pid reused by another process
   * since is left alone.
   */
  public static void killSessions(Path root) {
    if (!Files.isDirectory(root)) {
      return;
    }
    try (Stream<Path> sessions = Files.list(root)) {
      for (Path d : sessions.toList()) {
        if (Files.exists(d.resolve("exit"))) {
          continue;
        }
        pid(d.resolve("wrapper.pid"))
            .filter(pid -> cmdline(pid).contains(d.toString()))
            .ifPresent(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        pid(d.resolve("holder.pid"))
            .filter(pid -> cmdline(pid).equals("sleep 2147483647"))
            .ifPresent(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        pid(d.resolve("pid"))
            .filter(pid -> leadsItsSession(pid))
            .ifPresent(
                pid ->
                    ProcessHandle.allProcesses()
                        .filter(p -> processGroup(p.pid()) == pid)
                        .forEach(ProcessHandle::destroyForcibly));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<Long> pid(Path file) {
    try {
      return Optional.of(Long.parseLong(Files.readString(file).strip()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static String cmdline(long pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ').strip();
    } catch (IOException e) {
      return "";
    }
  }

  /** Fields after the command name of /proc/PID/stat: state, ppid, pgrp, session, ... */
  private static String[] stat(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    } catch (IOException | RuntimeException e) {
      return new String[0];
    }
  }

  private static long processGroup(long pid) {
    String[] f = stat(pid);
    return f.length > 2 ? Long.parseLong(f[2]) : -1;
  }

  private static boolean leadsItsSession(long pid) {
    String[] f = stat(pid);
    return f.length > 3 && Long.parseLong(f[3]) == pid;
  }
}
