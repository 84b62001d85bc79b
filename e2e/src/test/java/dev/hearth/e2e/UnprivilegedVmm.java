package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Layout;
import dev.hearth.core.Sizes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a real VM's VMM is on the host (issue 16): its user and capabilities from {@code /proc},
 * what it sees from inside its mount namespace ({@code nsenter}), the limits the kernel holds its
 * cgroup to, and its TAP's owner.
 */
final class UnprivilegedVmm {
  /** vm_memory_overhead's default, in bytes: the suite's daemon keeps it. */
  private static final long OVERHEAD_BYTES =
      Sizes.parse(ConfigKey.VM_MEMORY_OVERHEAD.defaultValue());

  private static final long CPU_PERIOD = 100_000;

  private final String vmId;
  private final int pid;
  private final int uid;
  private final Layout layout;
  private final List<Path> cgroupFolders;

  private UnprivilegedVmm(String vmId, int pid, int uid, Layout layout, List<Path> cgroupFolders) {
    this.vmId = vmId;
    this.pid = pid;
    this.uid = uid;
    this.layout = layout;
    this.cgroupFolders = cgroupFolders;
  }

  /** The VMM of {@code vm} ({@code vm show --json}), running now. */
  static UnprivilegedVmm of(JsonNode vm, Layout layout) throws IOException {
    assertThat(vm.path("vmm_uid").isInt()).as("vm show's vmm_uid: %s", vm).isTrue();
    int pid = vm.path("pid").asInt();
    assertThat(pid).as("the VMM's pid in %s", vm).isPositive();
    return new UnprivilegedVmm(
        vm.path("id").asText(),
        pid,
        vm.path("vmm_uid").asInt(),
        layout,
        List.copyOf(cgroupFolders(pid).values()));
  }

  void assertUnprivilegedBoundedAndBlind(JsonNode vm) throws Exception {
    assertThat(uid).as("the VMM's uid").isNotZero();
    // hearth/vm-<the daemon's tag>-<id> (core Cgroups.ownerTag)
    assertThat(vm.path("cgroup").asText()).matches(".*:/hearth/vm-[0-9a-f]{8}-" + vmId);
    assertThat(vm.path("limits").asText()).contains("memory", "processes", "CPUs");

    // The launcher (the recorded pid) and the QEMU under it. The console capper, forked by the
    // spawn script before it became the VMM, is also its child: it stays the daemon's, outside.
    List<Integer> tree = new ArrayList<>(List.of(pid));
    descendants(pid).stream().filter(p -> command(p).contains("qemu-system")).forEach(tree::add);
    assertThat(tree).as("the VMM and its QEMU").hasSizeGreaterThan(1);
    for (int process : tree) {
      String status = Files.readString(Path.of("/proc/" + process + "/status"));
      String what = "/proc/" + process + "/status of " + command(process);
      assertThat(field(status, "Uid"))
          .as(what)
          .isEqualTo(uid + "\t" + uid + "\t" + uid + "\t" + uid);
      assertThat(field(status, "CapEff")).as(what).isEqualTo("0000000000000000");
      assertThat(field(status, "CapPrm")).as(what).isEqualTo("0000000000000000");
      assertThat(field(status, "CapBnd")).as(what).isEqualTo("0000000000000000");
      assertThat(field(status, "NoNewPrivs")).as(what).isEqualTo("1");
    }

    // From inside its mount namespace, even as root, the daemon's files are not there; as the
    // VMM's user they cannot be read; its own disk is.
    Path key = layout.sshPrivateKey();
    Path db = layout.stateDir().resolve("hearth.db");
    assertThat(key).exists();
    assertThat(db).exists();
    for (Path secret : List.of(key, db, layout.socket())) {
      assertThat(nsenter(false, "test", "-e", secret.toString()))
          .as("exit of `test -e %s` in the VMM's mount namespace", secret)
          .isEqualTo(1);
      assertThat(nsenter(true, "cat", secret.toString()))
          .as("exit of `cat %s` as the VMM's user in its namespace", secret)
          .isNotZero();
    }
    Path disk = Path.of(vm.path("root_disk").asText());
    assertThat(nsenter(true, "test", "-r", disk.toString()))
        .as("exit of `test -r %s` as the VMM's user in its namespace", disk)
        .isZero();
    assertThat(nsenter(true, "ls", layout.vmsDir().toString()))
        .as("exit of `ls` of the VMs' folder as the VMM's user")
        .isNotZero();

    // The cgroup's limits, from the VM's size.
    long memory = (vm.path("memory_mib").asLong() << 20) + OVERHEAD_BYTES;
    long quota = vm.path("vcpus").asLong() * CPU_PERIOD;
    Map<String, Path> folders = cgroupFolders(pid);
    if (vm.path("cgroup").asText().startsWith("v2:")) {
      Path folder = folders.get("");
      assertThat(read(folder.resolve("memory.max"))).isEqualTo(Long.toString(memory));
      assertThat(read(folder.resolve("cpu.max"))).isEqualTo(quota + " " + CPU_PERIOD);
      assertThat(read(folder.resolve("pids.max"))).isEqualTo("512");
    } else {
      assertThat(read(folders.get("memory").resolve("memory.limit_in_bytes")))
          .isEqualTo(Long.toString(memory));
      assertThat(read(folders.get("cpu").resolve("cpu.cfs_quota_us")))
          .isEqualTo(Long.toString(quota));
      assertThat(read(folders.get("cpu").resolve("cpu.cfs_period_us")))
          .isEqualTo(Long.toString(CPU_PERIOD));
      assertThat(read(folders.get("pids").resolve("pids.max"))).isEqualTo("512");
    }
    for (Path folder : folders.values()) {
      assertThat(read(folder.resolve("cgroup.procs")).lines().toList())
          .as("%s/cgroup.procs", folder)
          .contains(Integer.toString(pid));
    }

    String tap = vm.path("tap").asText();
    assertThat(read(Path.of("/sys/class/net", tap, "owner")))
        .as("owner of TAP " + tap)
        .isEqualTo(Integer.toString(uid));
  }

  /** The command line of the QEMU under the launcher (the recorded pid). */
  String qemuCommandLine() throws IOException {
    return descendants(pid).stream()
        .map(UnprivilegedVmm::command)
        .filter(c -> c.contains("qemu-system"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no QEMU under the VMM, pid " + pid));
  }

  /** Once the VMM is gone (stop, delete): its cgroup is removed in every hierarchy. */
  void assertReleased() {
    for (Path folder : cgroupFolders) {
      assertThat(folder).as("the cgroup of the stopped VM").doesNotExist();
    }
  }

  /** Runs a command in the VMM's mount namespace, as its user when asked; returns the exit code. */
  private int nsenter(boolean asVmmUser, String... command) throws Exception {
    List<String> argv = new ArrayList<>(List.of("nsenter", "-t", Integer.toString(pid), "-m"));
    if (asVmmUser) {
      argv.addAll(List.of("-S", Integer.toString(uid), "-G", Integer.toString(uid)));
    }
    argv.add("--");
    argv.addAll(List.of(command));
    Process process =
        new ProcessBuilder(argv)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", argv) + " did not end within 30 s");
    }
    return process.exitValue();
  }

  /**
   * The process's cgroup folders by controller ({@code memory}, {@code pids}, {@code cpu} on v1;
   * {@code ""} on v2), found through {@code /proc/PID/cgroup} and this process's mountinfo.
   */
  private static Map<String, Path> cgroupFolders(int pid) throws IOException {
    Map<String, Path> v1Mounts = new LinkedHashMap<>();
    Optional<Path> v2Mount = Optional.empty();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] halves = line.split(" - ", 2);
      String[] mount = halves[0].split(" ");
      String[] source = halves[1].split(" ");
      if (source[0].equals("cgroup2") && v2Mount.isEmpty()) {
        v2Mount = Optional.of(Path.of(mount[4]));
      } else if (source[0].equals("cgroup")) {
        for (String option : source[2].split(",")) {
          v1Mounts.putIfAbsent(option, Path.of(mount[4]));
        }
      }
    }
    Map<String, Path> folders = new LinkedHashMap<>();
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
      String[] fields = line.split(":", 3);
      if (!fields[2].startsWith("/hearth/")) {
        continue;
      }
      if (fields[1].isEmpty() && v2Mount.isPresent()) {
        folders.put("", v2Mount.get().resolve(fields[2].substring(1)));
      }
      for (String controller : fields[1].split(",")) {
        if (v1Mounts.containsKey(controller)) {
          folders.put(controller, v1Mounts.get(controller).resolve(fields[2].substring(1)));
        }
      }
    }
    assertThat(folders).as("hearth cgroups of pid %s", pid).isNotEmpty();
    return folders;
  }

  private static List<Integer> descendants(int parent) throws IOException {
    Map<Integer, Integer> parents = new LinkedHashMap<>();
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      for (Path entry : entries.toList()) {
        String name = entry.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String stat = Files.readString(entry.resolve("stat"));
          String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          parents.put(Integer.valueOf(name), Integer.valueOf(after[1]));
        } catch (NoSuchFileException e) {
          // gone meanwhile
        }
      }
    }
    List<Integer> found = new ArrayList<>();
    List<Integer> frontier = new ArrayList<>(List.of(parent));
    while (!frontier.isEmpty()) {
      int next = frontier.remove(0);
      parents.forEach(
          (child, itsParent) -> {
            if (itsParent == next) {
              found.add(child);
              frontier.add(child);
            }
          });
    }
    return found;
  }

  private static String command(int pid) {
    try {
      return new String(
              Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8)
          .replace('\0', ' ');
    } catch (IOException e) {
      return "(gone)";
    }
  }

  private static String field(String status, String name) {
    return status
        .lines()
        .filter(l -> l.startsWith(name + ":"))
        .map(l -> l.substring(name.length() + 1).strip())
        .findFirst()
        .orElse("(no " + name + " line)");
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file).strip();
  }
}
