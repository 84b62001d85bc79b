package dev.hearth.core;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * What a cgroup holds its processes to; an empty value leaves that resource unlimited.
 *
 * @param memoryBytes the most memory the group's processes may use together (the kernel's OOM
 *     killer acts inside the group past it, not on the host)
 * @param maxProcesses the most processes and threads at once (a fork bomb stops there)
 * @param cpus the CPU time per wall-clock time, in CPUs (1.5 = one and a half cores' worth)
 */
public record CgroupLimits(
    OptionalLong memoryBytes, OptionalLong maxProcesses, OptionalDouble cpus) {

  public CgroupLimits {
    if (memoryBytes.isPresent() && memoryBytes.getAsLong() < (1L << 20)) {
      throw new IllegalArgumentException(
          "a cgroup's memory limit must be at least 1 MiB, got " + memoryBytes.getAsLong());
    }
    if (maxProcesses.isPresent() && maxProcesses.getAsLong() < 1) {
      throw new IllegalArgumentException(
          "a cgroup's process limit must be at least 1, got " + maxProcesses.getAsLong());
    }
    if (cpus.isPresent() && !(cpus.getAsDouble() >= 0.01 && cpus.getAsDouble() <= 4096)) {
      throw new IllegalArgumentException(
          "a cgroup's CPU limit must be within 0.01..4096 CPUs, got " + cpus.getAsDouble());
    }
  }

  /** For people: {@code memory 1344 MiB, 512 processes, 2 CPUs}; "unlimited" for none. */
  public String describe() {
    List<String> parts = new ArrayList<>();
    memoryBytes.ifPresent(b -> parts.add("memory " + Sizes.format(b)));
    maxProcesses.ifPresent(n -> parts.add(n + " processes"));
    cpus.ifPresent(
        c ->
            parts.add(
                (c == Math.rint(c) ? Long.toString((long) c) : Double.toString(c)) + " CPUs"));
    return parts.isEmpty() ? "unlimited" : String.join(", ", parts);
  }
}
