package dev.hearth.fcproc.process;

import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.fcproc.FcprocException;
import java.time.Duration;

/**
 * A VMM's session: the launcher makes the VMM its leader, so the session id is the VMM's pid, and
 * the console cappers the spawn script forked belong to it. The kernel does not reuse a pid while a
 * session still carries it, so the id cannot name another session meanwhile.
 */
final class VmmSessions {
  private VmmSessions() {}

  /** Waits up to {@code timeout} for every process of the session to go; false if some stay. */
  static boolean ended(ProcessTable table, Clock clock, int session, Duration timeout)
      throws InterruptedException {
    long deadline = clock.nanoTime() + timeout.toNanos();
    while (!table.liveInSession(session).isEmpty()) {
      if (clock.nanoTime() - deadline >= 0) {
        return false;
      }
      clock.sleep(FirecrackerLauncher.POLL_INTERVAL);
    }
    return true;
  }

  /**
   * SIGKILLs every process of the session and waits for all of them to go.
   *
   * @throws FcprocException naming {@code what} and the pids still there after {@link
   *     FirecrackerProcess#KILL_WAIT}
   */
  static void kill(ProcessTable table, Posix posix, Clock clock, int session, String what)
      throws InterruptedException {
    for (ProcessStat member : table.liveInSession(session)) {
      posix.kill(member.pid(), Posix.Signal.SIGKILL);
    }
    if (!ended(table, clock, session, FirecrackerProcess.KILL_WAIT)) {
      throw new FcprocException(
          "processes of "
              + what
              + "'s session still run "
              + FirecrackerProcess.KILL_WAIT.toSeconds()
              + " s after SIGKILL: "
              + table.liveInSession(session).stream().map(ProcessStat::pid).toList());
    }
  }
}
