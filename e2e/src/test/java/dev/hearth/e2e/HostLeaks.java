package dev.hearth.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Layout;
import dev.hearth.core.Runner;
import dev.hearth.core.Store;
import dev.hearth.core.testing.HostConditions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the suite's daemon and its VMs may have left on the host, read from the host itself (ip,
 * nft, iptables-save, /sys and /proc in full), never from hearth's own view of it. Each method
 * returns one readable line per leftover; an empty list means nothing is left.
 */
final class HostLeaks {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Runner runner;
  private final Layout layout;
  private final Path work;
  private final String bridge;

  /** The daemon's TAP names: its {@code tap_prefix} and a number. */
  private final Pattern daemonTap;

  /** The daemon's {@code network_tag}: its nft tables' name and its iptables comment. */
  private final String networkTag;

  HostLeaks(
      Runner runner, Layout layout, Path work, String bridge, String tapPrefix, String networkTag) {
    this.runner = runner;
    this.layout = layout;
    this.work = work;
    this.bridge = bridge;
    this.daemonTap = Pattern.compile(Pattern.quote(tapPrefix) + "(0|[1-9][0-9]*)");
    this.networkTag = networkTag;
  }

  /**
   * What a deleted VM may leave while the daemon still runs: TAPs, processes, sockets, loop and
   * device-mapper devices, mounts, VM folders. {@code vmIds} are the ids the test's VMs had.
   */
  List<String> vmLeftovers(Collection<String> vmIds) throws InterruptedException {
    List<String> left = new ArrayList<>();
    left.addAll(daemonTaps());
    // The daemon's own process and socket mention the work folder too; VMs' things sit below these.
    left.addAll(
        processesMentioning(List.of(layout.vmSocketsDir().toString(), layout.vmsDir().toString())));
    left.addAll(processesMentioning(vmIds));
    left.addAll(unixSocketsUnder(layout.vmSocketsDir()));
    left.addAll(loopDevicesBackedUnder(work));
    left.addAll(deviceMapperNamed(vmIds));
    left.addAll(mountsUnder(work));
    left.addAll(entriesOf(layout.vmSocketsDir()));
    left.addAll(entriesOf(layout.vmsDir()));
    return left;
  }

  /**
   * Everything of the test, once its daemon has stopped and its kept host setup (bridge and NAT)
   * has been removed: the VM leftovers, any process or socket mentioning the work folder, the
   * bridge, the NAT rules, and rows of the vms table.
   */
  List<String> everything(Collection<String> vmIds) throws InterruptedException {
    List<String> left = new ArrayList<>(vmLeftovers(vmIds));
    left.addAll(processesMentioning(List.of(work.toString())));
    left.addAll(unixSocketsUnder(work));
    left.addAll(bridgeAndItsPorts());
    left.addAll(natRules());
    left.addAll(vmRows());
    return left;
  }

  /**
   * Removes what a failed run can leave outside the daemon's reach, as found by the checks here:
   * processes naming a marker (the work folder, a VM id), mounts under the work folder, the VMs'
   * device-mapper and loop devices, and the daemon's TAPs.
   */
  void removeDirectly(Collection<String> markers, Collection<String> vmIds)
      throws InterruptedException {
    for (String line : processesMentioning(markers)) {
      long pid = Long.parseLong(line.substring("process ".length(), line.indexOf(':')));
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    for (String mount : mountsUnder(work)) {
      tryRun("umount", "-l", mount.substring("mount ".length(), mount.lastIndexOf(" (")));
    }
    for (String dm : deviceMapperNamed(vmIds)) {
      tryRun(
          "dmsetup",
          "remove",
          "--force",
          dm.substring("device-mapper device ".length(), dm.lastIndexOf(" (")));
    }
    for (String loop : loopDevicesBackedUnder(work)) {
      tryRun("losetup", "-d", loop.substring("loop device ".length(), loop.indexOf(" on ")));
    }
    for (String tap : daemonTaps()) {
      tryRun("ip", "link", "del", tap.split(" ")[1]);
    }
  }

  List<String> daemonTaps() throws InterruptedException {
    List<String> left = new ArrayList<>();
    for (JsonNode link : links()) {
      String name = link.path("ifname").asText();
      if (daemonTap.matcher(name).matches()) {
        left.add("TAP " + name + " (master " + link.path("master").asText("none") + ")");
      }
    }
    return left;
  }

  List<String> bridgeAndItsPorts() throws InterruptedException {
    List<String> left = new ArrayList<>();
    for (JsonNode link : links()) {
      String name = link.path("ifname").asText();
      if (name.equals(bridge)) {
        left.add("bridge " + name);
      } else if (link.path("master").asText().equals(bridge)) {
        left.add("link " + name + " on bridge " + bridge);
      }
    }
    return left;
  }

  /**
   * TAPs that still have a guard in the daemon's bridge table ({@code TapGuards}): a guard is
   * removed when its VM is deleted (the TAP going back to the pool or away).
   */
  List<String> tapGuards() throws InterruptedException {
    List<String> left = new ArrayList<>();
    if (HostConditions.which("nft").isEmpty()) {
      return left;
    }
    CommandResult listed =
        runner.run(Command.of("nft", "list", "map", "bridge", networkTag, "guards"));
    if (!listed.ok()) {
      return left; // no table: no guards
    }
    Matcher element = Pattern.compile("\"([^\"]+)\" : jump").matcher(listed.stdout());
    while (element.find()) {
      left.add("TAP guard of " + element.group(1));
    }
    return left;
  }

  /**
   * The daemon's NAT, TAP guards and egress rules: its nft tables, or with no nft on PATH (the only
   * case in which the daemon uses iptables) the iptables rules carrying its comment.
   */
  List<String> natRules() throws InterruptedException {
    List<String> left = new ArrayList<>();
    if (HostConditions.which("nft").isPresent()) {
      run("nft", "list", "tables")
          .stdout()
          .lines()
          .filter(
              l ->
                  l.strip().equals("table ip " + networkTag)
                      || l.strip().equals("table ip " + networkTag + "_egress")
                      || l.strip().equals("table bridge " + networkTag))
          .forEach(l -> left.add("nft " + l.strip()));
    } else {
      run("iptables-save")
          .stdout()
          .lines()
          .filter(l -> (l + " ").contains(" --comment " + networkTag + " "))
          .forEach(l -> left.add("iptables rule " + l));
    }
    return left;
  }

  /** Rows of the vms table, read from the database file (the daemon must have stopped). */
  List<String> vmRows() {
    if (!Files.exists(layout.database())) {
      return List.of();
    }
    try (Store store = Store.open(layout.database())) {
      return store.read(
          c -> {
            List<String> rows = new ArrayList<>();
            try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT id, name, state FROM vms")) {
              while (r.next()) {
                rows.add(
                    "vms row "
                        + r.getString(1)
                        + " "
                        + r.getString(2)
                        + " ("
                        + r.getString(3)
                        + ")");
              }
            }
            return rows;
          });
    }
  }

  /**
   * Processes whose command line holds one of the markers. The command line is read from /proc in
   * full: the JDK's ProcessHandle.Info cuts it at 4 KiB and then reports no arguments at all.
   */
  static List<String> processesMentioning(Collection<String> markers) {
    List<String> found = new ArrayList<>();
    if (markers.isEmpty()) {
      return found;
    }
    long self = ProcessHandle.current().pid();
    for (Path proc : list(Path.of("/proc"))) {
      String pid = proc.getFileName().toString();
      if (!pid.matches("[0-9]+") || Long.parseLong(pid) == self) {
        continue;
      }
      String cmdline = read(proc.resolve("cmdline")).replace('\0', ' ').strip();
      if (!cmdline.isEmpty() && markers.stream().anyMatch(cmdline::contains)) {
        found.add("process " + pid + ": " + abbreviate(cmdline));
      }
    }
    return found;
  }

  /** Bound Unix sockets whose path is under the folder (from /proc/net/unix, even if unlinked). */
  static List<String> unixSocketsUnder(Path dir) {
    String prefix = dir.toString() + "/";
    return read(Path.of("/proc/net/unix"))
        .lines()
        .map(l -> l.split("\\s+"))
        .filter(f -> f.length >= 8 && f[7].startsWith(prefix))
        .map(f -> "unix socket " + f[7])
        .distinct()
        .toList();
  }

  static List<String> loopDevicesBackedUnder(Path dir) {
    List<String> found = new ArrayList<>();
    for (Path block : list(Path.of("/sys/block"))) {
      Path backing = block.resolve("loop/backing_file");
      if (Files.exists(backing)) {
        String file = read(backing).strip();
        if (file.startsWith(dir.toString() + "/")) {
          found.add("loop device /dev/" + block.getFileName() + " on " + file);
        }
      }
    }
    return found;
  }

  static List<String> deviceMapperNamed(Collection<String> vmIds) {
    List<String> found = new ArrayList<>();
    for (Path block : list(Path.of("/sys/block"))) {
      Path name = block.resolve("dm/name");
      if (Files.exists(name)) {
        String dm = read(name).strip();
        if (vmIds.stream().anyMatch(dm::contains)) {
          found.add("device-mapper device " + dm + " (/dev/" + block.getFileName() + ")");
        }
      }
    }
    return found;
  }

  static List<String> mountsUnder(Path dir) {
    return read(Path.of("/proc/mounts"))
        .lines()
        .map(l -> l.split(" "))
        .filter(f -> f.length > 1 && f[1].startsWith(dir.toString() + "/"))
        .map(f -> "mount " + f[1] + " (" + f[0] + ")")
        .toList();
  }

  static List<String> entriesOf(Path dir) {
    return list(dir).stream().map(p -> "file " + p).toList();
  }

  private List<JsonNode> links() throws InterruptedException {
    CommandResult result = run("ip", "-j", "link", "show");
    try {
      List<JsonNode> links = new ArrayList<>();
      JSON.readTree(result.stdout()).forEach(links::add);
      return links;
    } catch (IOException e) {
      throw new UncheckedIOException("ip -j link show printed no JSON: " + result.stdout(), e);
    }
  }

  /** Runs a removal whose failure the final leak check reports, not this. */
  private void tryRun(String... argv) throws InterruptedException {
    runner.run(Command.of(List.of(argv)));
  }

  private CommandResult run(String... argv) throws InterruptedException {
    return runner.check(Command.of(List.of(argv)));
  }

  private static List<Path> list(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return ""; // gone meanwhile, or not readable: nothing of ours
    }
  }

  private static String abbreviate(String text) {
    return text.length() > 300 ? text.substring(0, 300) + "..." : text;
  }
}
