package dev.hearth.core;

import java.nio.file.Path;
import java.util.List;

/**
 * One cgroup hearth made (on cgroup v2, one folder; on v1, one folder per controller hierarchy).
 * Closing it kills whatever still runs in it and removes it.
 */
public interface Cgroup extends AutoCloseable {

  /** Where it is, as the host names it: {@code v2:/hearth/NAME} or {@code v1:/hearth/NAME}. */
  String describe();

  /**
   * The {@code cgroup.procs} files a process writes its pid into to join the group (and take its
   * future children with it): one on v2, one per hierarchy on v1.
   */
  List<Path> procsFiles();

  /** Moves the process {@code pid} (with its threads) into the group. */
  void add(int pid);

  /** Kills every process in the group (SIGKILL) and removes it; a group already gone is fine. */
  @Override
  void close();
}
