package dev.hearth.fcproc.process;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Reads the kernel's process table. {@link #procfs()} is the real one; tests pass a fake. */
public interface ProcessTable {

  /** The process's stat, or empty when no process has this pid. */
  Optional<ProcessStat> stat(int pid);

  /** The processes of a session that have not exited (zombies do not count). */
  List<ProcessStat> liveInSession(int sessionId);

  /** The pids of every process there is now. */
  List<Integer> pids();

  /** The process's argv ({@code /proc/<pid>/cmdline}); empty when it has gone (or is a zombie). */
  List<String> commandLine(int pid);

  /** Reads {@code /proc/<pid>/stat}. */
  static ProcessTable procfs() {
    return new ProcfsProcessTable(Path.of("/proc"));
  }
}
