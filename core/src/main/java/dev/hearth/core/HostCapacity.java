package dev.hearth.core;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What the host has for VMs, read through a {@link HostProbe}: its RAM, its online CPUs and the
 * size of the filesystem holding the state folder. {@link ResourceLimits} derives the {@code auto}
 * limits from it.
 *
 * @param memoryMib MemTotal of {@code /proc/meminfo}, in MiB
 * @param cpus the CPUs listed in {@code /sys/devices/system/cpu/online}
 * @param stateFilesystemBytes the total size of the filesystem holding {@code state_dir}
 */
public record HostCapacity(long memoryMib, int cpus, long stateFilesystemBytes) {
  static final Path MEMINFO = Path.of("/proc/meminfo");
  static final Path CPUS_ONLINE = Path.of("/sys/devices/system/cpu/online");

  public HostCapacity {
    if (memoryMib < 1 || cpus < 1 || stateFilesystemBytes < 1) {
      throw new IllegalArgumentException(
          "host capacity must be positive: "
              + memoryMib
              + " MiB, "
              + cpus
              + " CPUs, "
              + stateFilesystemBytes
              + " bytes");
    }
  }

  /**
   * Reads the host's capacity; the state folder may not exist yet (its nearest existing ancestor's
   * filesystem is measured).
   *
   * @throws CoreException naming the file that cannot be read or understood
   */
  public static HostCapacity probe(HostProbe probe, Path stateDir) {
    return new HostCapacity(
        memTotalMib(read(probe, MEMINFO)),
        onlineCpus(read(probe, CPUS_ONLINE)),
        filesystemBytes(probe, probe.nearestExisting(stateDir)));
  }

  private static String read(HostProbe probe, Path file) {
    try {
      return probe.readSmallText(file);
    } catch (IOException e) {
      throw new CoreException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static long filesystemBytes(HostProbe probe, Path dir) {
    try {
      return probe.totalSpace(dir);
    } catch (IOException e) {
      throw new CoreException(
          "cannot measure the filesystem holding " + dir + ": " + e.getMessage(), e);
    }
  }

  /** MemTotal (in kB, as the kernel writes it) in MiB. */
  static long memTotalMib(String meminfo) {
    for (String line : meminfo.split("\n")) {
      if (line.startsWith("MemTotal:")) {
        String[] fields = line.substring("MemTotal:".length()).trim().split("\\s+");
        try {
          return Long.parseLong(fields[0]) / 1024;
        } catch (NumberFormatException e) {
          break;
        }
      }
    }
    throw new CoreException(MEMINFO + " has no readable MemTotal line");
  }

  /** Counts a CPU list such as {@code 0-3,6,8-9}. */
  static int onlineCpus(String list) {
    int count = 0;
    try {
      for (String range : list.trim().split(",")) {
        int dash = range.indexOf('-');
        if (dash < 0) {
          Integer.parseInt(range);
          count++;
        } else {
          count +=
              Integer.parseInt(range.substring(dash + 1))
                  - Integer.parseInt(range.substring(0, dash))
                  + 1;
        }
      }
    } catch (NumberFormatException e) {
      throw new CoreException(
          CPUS_ONLINE + " is not a CPU list: '" + Printable.of(list.trim()) + "'");
    }
    return count;
  }
}
