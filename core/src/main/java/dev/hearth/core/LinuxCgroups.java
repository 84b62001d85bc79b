package dev.hearth.core;

import com.google.common.annotations.VisibleForTesting;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** {@link Cgroups} on the kernel's cgroup file systems, found through a mountinfo file. */
final class LinuxCgroups implements Cgroups {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,99}");
  private static final String PARENT = "hearth";
  private static final List<String> V1_CONTROLLERS = List.of("memory", "pids", "cpu");
  private static final long CPU_PERIOD_MICROS = 100_000;
  private static final Duration EMPTYING_DEADLINE = Duration.ofSeconds(5);
  private static final Duration EMPTYING_PAUSE = Duration.ofMillis(10);

  /** Unified (v2) with its controllers, v1 with one mount per controller, or none at all. */
  private enum Mode {
    V2,
    V1,
    NONE
  }

  private final Mode mode;
  private final Path v2Root;
  private final Map<String, Path> v1Mounts;
  private final String unavailableReason;
  private final Posix posix;
  private final Clock clock;

  private LinuxCgroups(
      Mode mode,
      Path v2Root,
      Map<String, Path> v1Mounts,
      String unavailableReason,
      Posix posix,
      Clock clock) {
    this.mode = mode;
    this.v2Root = v2Root;
    this.v1Mounts = Collections.unmodifiableMap(new LinkedHashMap<>(v1Mounts));
    this.unavailableReason = unavailableReason;
    this.posix = posix;
    this.clock = clock;
  }

  /**
   * Reads {@code mountinfo}: a cgroup2 mount whose {@code cgroup.controllers} has memory and pids
   * is used; otherwise the cgroup (v1) mounts of memory and pids (and cpu when mounted).
   */
  @VisibleForTesting
  static LinuxCgroups detect(Path mountinfo, Posix posix, Clock clock) {
    List<String> lines;
    try {
      lines = Files.readAllLines(mountinfo, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return none("cannot read " + mountinfo + ": " + e.getMessage(), posix, clock);
    }
    Path v2 = null;
    Map<String, Path> v1 = new LinkedHashMap<>();
    for (String line : lines) {
      int separator = line.indexOf(" - ");
      if (separator < 0) {
        continue;
      }
      String[] mount = line.substring(0, separator).split(" ");
      String[] source = line.substring(separator + 3).split(" ");
      if (mount.length < 5 || source.length < 3 || !mount[3].equals("/")) {
        continue;
      }
      Path point = Path.of(unescape(mount[4]));
      if (source[0].equals("cgroup2") && v2 == null) {
        v2 = point;
      } else if (source[0].equals("cgroup")) {
        Set<String> options = Set.of(source[2].split(","));
        for (String controller : V1_CONTROLLERS) {
          if (options.contains(controller)) {
            v1.putIfAbsent(controller, point);
          }
        }
      }
    }
    if (v2 != null && v2Controllers(v2).containsAll(List.of("memory", "pids"))) {
      return new LinuxCgroups(Mode.V2, v2, Map.of(), "", posix, clock);
    }
    if (v1.containsKey("memory") && v1.containsKey("pids")) {
      return new LinuxCgroups(Mode.V1, null, v1, "", posix, clock);
    }
    return none(
        "neither a cgroup v2 mount with the memory and pids controllers nor cgroup v1 mounts of"
            + " both is in "
            + mountinfo,
        posix,
        clock);
  }

  private static LinuxCgroups none(String reason, Posix posix, Clock clock) {
    return new LinuxCgroups(Mode.NONE, null, Map.of(), reason, posix, clock);
  }

  /** mountinfo escapes space, tab, newline and backslash as octal. */
  private static String unescape(String field) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && i + 3 < field.length()) {
        String octal = field.substring(i + 1, i + 4);
        if (octal.chars().allMatch(d -> d >= '0' && d <= '7')) {
          out.append((char) Integer.parseInt(octal, 8));
          i += 3;
          continue;
        }
      }
      out.append(c);
    }
    return out.toString();
  }

  private static Set<String> v2Controllers(Path root) {
    try {
      return Set.of(Files.readString(root.resolve("cgroup.controllers")).strip().split("\\s+"));
    } catch (IOException e) {
      return Set.of();
    }
  }

  @Override
  public boolean available() {
    return mode != Mode.NONE;
  }

  @Override
  public String describe() {
    return switch (mode) {
      case V2 -> "cgroup v2 (" + v2Root + ")";
      case V1 ->
          "cgroup v1 ("
              + v1Mounts.entrySet().stream()
                  .map(e -> e.getKey() + " " + e.getValue())
                  .collect(Collectors.joining(", "))
              + ")";
      case NONE -> "no usable cgroups: " + unavailableReason;
    };
  }

  @Override
  public Cgroup create(String name, CgroupLimits limits) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "a cgroup name is 1 to 100 of a-z, 0-9, '.', '_', '-' (not first), got '" + name + "'");
    }
    if (mode == Mode.NONE) {
      throw new CgroupException("cannot make cgroup " + PARENT + "/" + name + ": " + describe());
    }
    if (mode == Mode.V1 && limits.cpus().isPresent() && !v1Mounts.containsKey("cpu")) {
      throw new CgroupException(
          "cannot limit the CPU of cgroup " + PARENT + "/" + name + ": no cgroup v1 cpu mount");
    }
    LinuxCgroup group = new LinuxCgroup(name, folders(name));
    try {
      group.close(); // a leftover of the same name from an earlier run
      if (mode == Mode.V2) {
        enableV2Controllers();
      }
      for (Path folder : group.folders) {
        makeFolder(folder);
      }
      writeLimits(group, limits);
      return group;
    } catch (RuntimeException e) {
      try {
        group.close();
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  @Override
  public List<String> names() {
    if (mode == Mode.NONE) {
      return List.of();
    }
    Path parent = (mode == Mode.V2 ? v2Root : v1Mounts.get("memory")).resolve(PARENT);
    try (var children = Files.list(parent)) {
      return children
          .filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(n -> NAME.matcher(n).matches())
          .sorted()
          .toList();
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new CgroupException("cannot list the cgroups in " + parent + ": " + e, e);
    }
  }

  @Override
  public void remove(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a hearth cgroup name: '" + name + "'");
    }
    if (mode != Mode.NONE) {
      new LinuxCgroup(name, folders(name)).close();
    }
  }

  private List<Path> folders(String name) {
    if (mode == Mode.V2) {
      return List.of(v2Root.resolve(PARENT).resolve(name));
    }
    Set<Path> mounts = new LinkedHashSet<>(v1Mounts.values()); // cpu and cpuacct may share one
    List<Path> folders = new ArrayList<>();
    for (Path mount : mounts) {
      folders.add(mount.resolve(PARENT).resolve(name));
    }
    return folders;
  }

  /** Controllers reach a v2 group only when each ancestor passes them down. */
  private void enableV2Controllers() {
    Set<String> offered = v2Controllers(v2Root);
    String wanted =
        List.of("memory", "pids", "cpu").stream()
            .filter(offered::contains)
            .map(c -> "+" + c)
            .collect(Collectors.joining(" "));
    write(v2Root.resolve("cgroup.subtree_control"), wanted);
    makeFolder(v2Root.resolve(PARENT));
    write(v2Root.resolve(PARENT).resolve("cgroup.subtree_control"), wanted);
  }

  private void writeLimits(LinuxCgroup group, CgroupLimits limits) {
    if (mode == Mode.V2) {
      Path folder = group.folders.get(0);
      if (limits.memoryBytes().isPresent()) {
        write(folder.resolve("memory.max"), Long.toString(limits.memoryBytes().getAsLong()));
        if (Files.exists(folder.resolve("memory.swap.max"))) {
          write(folder.resolve("memory.swap.max"), "0");
        }
      }
      if (limits.maxProcesses().isPresent()) {
        write(folder.resolve("pids.max"), Long.toString(limits.maxProcesses().getAsLong()));
      }
      if (limits.cpus().isPresent()) {
        write(folder.resolve("cpu.max"), cpuQuota(limits) + " " + CPU_PERIOD_MICROS);
      }
      return;
    }
    Path memory = v1Folder(group, "memory");
    if (limits.memoryBytes().isPresent()) {
      write(
          memory.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes().getAsLong()));
    }
    if (limits.maxProcesses().isPresent()) {
      write(
          v1Folder(group, "pids").resolve("pids.max"),
          Long.toString(limits.maxProcesses().getAsLong()));
    }
    if (limits.cpus().isPresent()) {
      Path cpu = v1Folder(group, "cpu");
      write(cpu.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_MICROS));
      write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(cpuQuota(limits)));
    }
  }

  private static long cpuQuota(CgroupLimits limits) {
    return Math.max(1000, Math.round(limits.cpus().getAsDouble() * CPU_PERIOD_MICROS));
  }

  private Path v1Folder(LinuxCgroup group, String controller) {
    return v1Mounts.get(controller).resolve(PARENT).resolve(group.name);
  }

  private static void makeFolder(Path folder) {
    try {
      Files.createDirectories(folder);
    } catch (IOException e) {
      throw new CgroupException("cannot make the cgroup " + folder + ": " + e, e);
    }
  }

  private static void write(Path file, String value) {
    try {
      Files.writeString(file, value, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new CgroupException("cannot write '" + value + "' to " + file + ": " + e, e);
    }
  }

  private final class LinuxCgroup implements Cgroup {
    private final String name;
    private final List<Path> folders;

    LinuxCgroup(String name, List<Path> folders) {
      this.name = name;
      this.folders = List.copyOf(folders);
    }

    @Override
    public String describe() {
      return (mode == Mode.V2 ? "v2:/" : "v1:/") + PARENT + "/" + name;
    }

    @Override
    public List<Path> procsFiles() {
      return folders.stream().map(f -> f.resolve("cgroup.procs")).toList();
    }

    @Override
    public void add(int pid) {
      for (Path procs : procsFiles()) {
        write(procs, Integer.toString(pid));
      }
    }

    @Override
    public void close() {
      for (Path folder : folders) {
        empty(folder);
      }
    }

    /**
     * Kills the folder's processes until none is left (a fork may race a kill), then removes it.
     */
    private void empty(Path folder) {
      if (!Files.isDirectory(folder)) {
        return;
      }
      if (Files.exists(folder.resolve("cgroup.kill"))) {
        write(folder.resolve("cgroup.kill"), "1");
      }
      long deadline = clock.nanoTime() + EMPTYING_DEADLINE.toNanos();
      List<Integer> left = List.of();
      while (true) {
        left = members(folder);
        for (int pid : left) {
          posix.kill(pid, Posix.Signal.SIGKILL);
        }
        if (left.isEmpty()) {
          try {
            Files.deleteIfExists(folder);
            return;
          } catch (DirectoryNotEmptyException e) {
            // A process joined or a zombie is still being reaped: try again.
          } catch (IOException e) {
            throw new CgroupException("cannot remove the cgroup " + folder + ": " + e, e);
          }
        }
        if (clock.nanoTime() > deadline) {
          throw new CgroupException(
              "cgroup "
                  + folder
                  + " still holds processes "
                  + left
                  + " after SIGKILL for "
                  + EMPTYING_DEADLINE.toSeconds()
                  + " s");
        }
        try {
          clock.sleep(EMPTYING_PAUSE);
        } catch (InterruptedException e) {
          // Finishing the clean-up matters more than a prompt return; the caller sees the flag.
          Thread.currentThread().interrupt();
        }
      }
    }

    private List<Integer> members(Path folder) {
      try {
        return Files.readAllLines(folder.resolve("cgroup.procs")).stream()
            .map(String::strip)
            .filter(s -> !s.isEmpty())
            .map(Integer::valueOf)
            .toList();
      } catch (NoSuchFileException e) {
        return List.of();
      } catch (IOException | NumberFormatException e) {
        throw new CgroupException("cannot read " + folder.resolve("cgroup.procs") + ": " + e, e);
      }
    }
  }
}
