package dev.hearth.daemon;

import dev.hearth.core.Cgroups;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What a real image build runs on this host, found through /proc, for the tests that stop a build
 * on purpose. The build's {@code --run} script {@link #RUN_SCRIPT} sleeps, so that a process of the
 * build is there until the test acts: the configure stage's chrooted commands last milliseconds
 * with a cached tree, and waiting for one of them raced with its end.
 */
final class BuildProcesses {
  /** The run script's sleep, in seconds: an odd number that picks its process out of /proc. */
  private static final String SLEEP = "3607";

  private static final String SLEEP_CMDLINE = "sleep\0" + SLEEP + "\0";

  /** The {@code run_script} param of {@code image.build}, as a JSON string. */
  static final String RUN_SCRIPT = "\"exec sleep " + SLEEP + "\\n\"";

  private BuildProcesses() {}

  /** The cgroup of the build of {@code image} by the daemon whose staging folder is given. */
  static String cgroup(Path staging, String image) {
    return "build-" + Cgroups.ownerTag(staging) + "-" + image;
  }

  /** The pids of the run script's sleep in the cgroup {@code hearth/GROUP}. */
  static List<Long> sleepersIn(String group) throws IOException {
    try (Stream<Path> procs = pids()) {
      return procs
          .filter(p -> read(p.resolve("cmdline")).equals(SLEEP_CMDLINE))
          .filter(p -> read(p.resolve("cgroup")).contains("/hearth/" + group + "\n"))
          .map(p -> Long.valueOf(p.getFileName().toString()))
          .toList();
    }
  }

  /** Whether {@code pid} is still the run script's sleep (and not gone, or a reused pid). */
  static boolean isSleeper(long pid) {
    return read(Path.of("/proc", Long.toString(pid), "cmdline")).equals(SLEEP_CMDLINE);
  }

  /**
   * The mount namespaces {@code pid} and its ancestors are in, up to the host's (this JVM's), not
   * included: for the run script, the run sandbox's and, above it, the build's, where the tree's
   * /proc and /dev are mounted.
   */
  static List<String> mountNamespacesAbove(long pid) {
    String host = link(Path.of("/proc/self/ns/mnt")).orElseThrow();
    List<String> found = new ArrayList<>();
    for (long p = pid; p > 1; p = parent(p)) {
      Optional<String> namespace = link(Path.of("/proc", Long.toString(p), "ns/mnt"));
      if (namespace.isEmpty()) {
        throw new AssertionError("process " + p + " ended while its namespace was looked up");
      }
      if (namespace.get().equals(host)) {
        break;
      }
      if (!found.contains(namespace.get())) {
        found.add(namespace.get());
      }
    }
    return found;
  }

  /** The processes in any of the mount namespaces {@code namespaces}. */
  static List<Path> processesIn(List<String> namespaces) throws IOException {
    try (Stream<Path> procs = pids()) {
      return procs
          .filter(p -> link(p.resolve("ns/mnt")).filter(namespaces::contains).isPresent())
          .toList();
    }
  }

  /** The pids whose root folder is under {@code folder}. */
  static List<Long> rootedUnder(String folder) throws IOException {
    try (Stream<Path> procs = pids()) {
      return procs
          .filter(p -> link(p.resolve("root")).filter(r -> r.startsWith(folder)).isPresent())
          .map(p -> Long.valueOf(p.getFileName().toString()))
          .toList();
    }
  }

  private static long parent(long pid) {
    for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
      if (line.startsWith("PPid:")) {
        return Long.parseLong(line.substring("PPid:".length()).strip());
      }
    }
    throw new AssertionError("process " + pid + " ended while its parents were looked up");
  }

  private static Stream<Path> pids() throws IOException {
    return Files.list(Path.of("/proc")).filter(p -> p.getFileName().toString().matches("[0-9]+"));
  }

  private static String read(Path procFile) {
    try {
      return Files.readString(procFile, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return ""; // the process is gone
    }
  }

  private static Optional<String> link(Path link) {
    try {
      return Optional.of(Files.readSymbolicLink(link).toString());
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty(); // the process is gone, or not ours to read
    }
  }
}
