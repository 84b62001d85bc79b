package dev.hearth.session.testing;

import dev.hearth.core.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Ends the processes that sessions started by tests left behind, for tests that run the session
 * scripts on this host (the session module's own and the daemon's).
 */
public final class SessionProcesses {
  /** How long the killed processes may take to go. */
  private static final Duration GONE = Duration.ofSeconds(60);

  private SessionProcesses() {}

  /**
   * Kills the processes of every session under {@code root} that still run, and returns once they
   * are gone: the wrapper first (as a power cut would: no exit file gets written), then everything
   * else in the wrapper's session (the holder, and an {@code mv} of the exit file that may have
   * started; the holder also when its wrapper was killed before) and in the command's session.
   * Waiting matters: a wrapper's last step, left running, would write into a folder the test is
   * deleting.
   *
   * <p>A wrapper's pid is checked against its command line first, and a command's against its
   * leading its own session, so a pid reused by another process since is left alone; Linux does not
   * reuse a pid while a process still has it as its session id.
   */
  public static void killSessions(Path root) throws InterruptedException {
    if (!Files.isDirectory(root)) {
      return;
    }
    Set<Long> sessions = new HashSet<>();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path d : dirs.toList()) {
        // Not skipped when an exit file exists: a test may make one of a running session (a huge
        // exit file), and the pid checks below already leave ended sessions' reused pids alone.
        Optional<Long> wrapper = pid(d.resolve("wrapper.pid"));
        wrapper
            .filter(pid -> cmdline(pid).contains(d.toString()))
            .ifPresent(
                pid -> {
                  ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                  sessions.add(pid);
                });
        // A wrapper killed earlier (a test playing a kill -9 in the guest) can no longer kill its
        // holder, which stays in the wrapper's session: that session is still the wrapper's, since
        // its id is not reused while the holder lives in it.
        wrapper
            .filter(w -> pid(d.resolve("holder.pid")).filter(h -> sessionOf(h) == w).isPresent())
            .ifPresent(sessions::add);
        pid(d.resolve("pid")).filter(SessionProcesses::leadsItsSession).ifPresent(sessions::add);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (sessions.isEmpty()) {
      return;
    }
    try {
      // Killed on every round: a process forked just before its parent died is killed too.
      Await.until(
          GONE,
          "the processes of the sessions " + sessions + " under " + root + " to end",
          () -> killAll(sessions) == 0);
    } catch (InterruptedException | RuntimeException | Error e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Kills every live process of the given sessions; returns how many there were. */
  private static int killAll(Set<Long> sessions) {
    int alive = 0;
    for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
      String[] f = stat(p.pid());
      // A zombie has ended; its parent (or init) reaps it in its own time.
      if (f.length > 3 && !f[0].equals("Z") && sessions.contains(Long.parseLong(f[3]))) {
        p.destroyForcibly();
        alive++;
      }
    }
    return alive;
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

  private static boolean leadsItsSession(long pid) {
    return sessionOf(pid) == pid;
  }

  /** Whether a process has ended: gone, or a zombie its parent (or init) has yet to reap. */
  public static boolean ended(long pid) {
    return sessionOf(pid) == -1;
  }

  /** The session of a live process; -1 for one that has ended. */
  private static long sessionOf(long pid) {
    String[] f = stat(pid);
    return f.length > 3 && !f[0].equals("Z") ? Long.parseLong(f[3]) : -1;
  }
}
