package dev.hearth.core;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Makes cgroups that bound a tree of processes (memory, processes, CPU), on whichever hierarchy the
 * host has: the unified cgroup v2 one when it carries the memory and pids controllers, otherwise
 * the v1 hierarchies of those controllers (a host may mount both, v1 holding the controllers and v2
 * none). Groups live under {@code hearth/} in each hierarchy.
 */
public interface Cgroups {

  /** The host's cgroups as {@code /proc/self/mountinfo} shows them. */
  static Cgroups system(Posix posix, Clock clock) {
    return LinuxCgroups.detect(Path.of("/proc/self/mountinfo"), posix, clock);
  }

  /**
   * A tag for the names of the groups one daemon makes: the first 8 hex digits of the SHA-256 of
   * {@code folder} (one of its state folders), so that daemons with other state folders on the same
   * host (tests, a second instance) never share, sweep or kill one another's groups.
   */
  static String ownerTag(Path folder) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(folder.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }

  /** No cgroups: {@link #create} fails saying {@code reason}. */
  static Cgroups none(String reason) {
    return new Cgroups() {
      @Override
      public boolean available() {
        return false;
      }

      @Override
      public String describe() {
        return "no usable cgroups: " + reason;
      }

      @Override
      public Cgroup create(String name, CgroupLimits limits) {
        throw new CgroupException("cannot make cgroup hearth/" + name + ": " + describe());
      }

      @Override
      public List<String> existing(String prefix) {
        return List.of();
      }

      @Override
      public void remove(String name) {}
    };
  }

  /**
   * The doctor's {@code cgroups} check: which hierarchy bounds image builds and VMs, or WARN that
   * none.
   */
  default CheckOutcome check() {
    if (available()) {
      return CheckOutcome.pass(
          describe()
              + "; image builds are held to build_max_memory and build_max_processes, each VM's"
              + " VMM to its size (vm_unprivileged)");
    }
    return CheckOutcome.warn(
        describe()
            + "; image builds run without memory or process limits, and VMs cannot start while"
            + " vm_unprivileged = true",
        "mount the memory and pids cgroup controllers (cgroup v2 with both in cgroup.controllers,"
            + " or cgroup v1 hierarchies of each)");
  }

  /** Whether {@link #create} can work here. */
  boolean available();

  /**
   * Which hierarchy is used and where, or why none can be: for the doctor and the daemon's log,
   * e.g. {@code "cgroup v1 (memory /sys/fs/cgroup/memory, pids /sys/fs/cgroup/pids, ...)"}.
   */
  String describe();

  /**
   * Makes the group {@code hearth/NAME} with {@code limits}. A group of that name left by an
   * earlier run is emptied and made anew.
   *
   * @param name lower-case letters, digits, {@code .}, {@code _} and {@code -}, at most 100
   * @throws CgroupException naming the file that could not be made or written, or why no cgroup can
   *     be made on this host
   */
  Cgroup create(String name, CgroupLimits limits);

  /**
   * The names of the groups under {@code hearth/} that start with {@code prefix}, in any hierarchy
   * hearth uses: what an earlier run (a daemon killed before it could close them) may have left.
   */
  List<String> existing(String prefix);

  /**
   * Kills whatever runs in the group {@code hearth/NAME} and removes it; a group that is not there
   * is fine.
   *
   * @throws CgroupException when a process outlives SIGKILL or a folder cannot be removed
   */
  void remove(String name);
}
