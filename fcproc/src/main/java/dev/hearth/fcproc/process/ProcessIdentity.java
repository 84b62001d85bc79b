package dev.hearth.fcproc.process;

import dev.hearth.fcproc.FcprocException;

/**
 * A process as the pair (pid, start time), so that a pid the kernel has reused for another process
 * is never mistaken for the one recorded. Persist both fields; compare with {@link #isAlive}.
 *
 * @param startTime field 22 of {@code /proc/<pid>/stat}
 */
public record ProcessIdentity(int pid, long startTime) {

  public ProcessIdentity {
    if (pid <= 0) {
      throw new IllegalArgumentException("pid must be positive, got " + pid);
    }
  }

  /**
   * The identity of a live process.
   *
   * @throws FcprocException when no process has this pid, or it has already exited
   */
  public static ProcessIdentity of(int pid, ProcessTable table) {
    ProcessStat stat =
        table
            .stat(pid)
            .filter(s -> !s.exited())
            .orElseThrow(() -> new FcprocException("no live process with pid " + pid));
    return new ProcessIdentity(pid, stat.startTime());
  }

  /** Whether this very process still runs: the pid exists, is no zombie, and started then. */
  public boolean isAlive(ProcessTable table) {
    return table.stat(pid).map(s -> !s.exited() && s.startTime() == startTime).orElse(false);
  }
}
