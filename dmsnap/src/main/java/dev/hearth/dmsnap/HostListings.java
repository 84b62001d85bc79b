package dev.hearth.dmsnap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Parsers for what losetup and dmsetup print. */
final class HostListings {
  static final List<String> DMSETUP_LS = List.of("dmsetup", "ls");
  static final List<String> LOSETUP_LIST = List.of("losetup", "--json", "--list");
  static final List<String> DMSETUP_TARGETS = List.of("dmsetup", "targets");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DELETED_SUFFIX = " (deleted)";

  private HostListings() {}

  /**
   * The device names in {@code dmsetup ls} output ({@code name<TAB>(253:0)} or, from older
   * versions, {@code name<TAB>(253, 0)}; {@code No devices found} when there are none).
   */
  static List<String> dmNames(String output) {
    List<String> names = new ArrayList<>();
    for (String line : output.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.equals("No devices found")) {
        continue;
      }
      int tab = line.indexOf('\t');
      String name = (tab >= 0 ? line.substring(0, tab) : trimmed.split("\\s+")[0]).strip();
      names.add(name);
    }
    return names;
  }

  /** The hearth devices among {@code names}, each before the device it sits on. */
  static List<String> hearthDevicesInRemovalOrder(List<String> names) {
    return names.stream()
        .filter(n -> n.startsWith(DmSnapshotProvisioner.DM_PREFIX))
        .sorted(
            Comparator.comparing((String n) -> n.endsWith(DmSnapshotProvisioner.BASE_SUFFIX))
                .thenComparing(Comparator.naturalOrder()))
        .toList();
  }

  /** The loops in {@code losetup --json --list} output; empty output means no loops. */
  static List<LoopDevice> loops(String output) {
    if (output.isBlank()) {
      return List.of();
    }
    JsonNode root;
    try {
      root = JSON.readTree(output);
    } catch (JsonProcessingException e) {
      throw new UnexpectedOutputException(LOSETUP_LIST, output, e);
    }
    JsonNode devices = root.path("loopdevices");
    if (!devices.isArray()) {
      throw new UnexpectedOutputException(LOSETUP_LIST, output, null);
    }
    List<LoopDevice> loops = new ArrayList<>();
    for (JsonNode d : devices) {
      String name = d.path("name").asText("");
      String backFile = d.path("back-file").asText("");
      if (name.isEmpty()) {
        throw new UnexpectedOutputException(LOSETUP_LIST, output, null);
      }
      if (backFile.isEmpty()) {
        continue; // a loop being set up or torn down: nothing of ours to match
      }
      if (backFile.endsWith(DELETED_SUFFIX)) {
        backFile = backFile.substring(0, backFile.length() - DELETED_SUFFIX.length());
      }
      try {
        loops.add(new LoopDevice(name, Path.of(backFile)));
      } catch (InvalidPathException e) {
        throw new UnexpectedOutputException(LOSETUP_LIST, output, e);
      }
    }
    return loops;
  }

  /** The loops whose backing file is inside {@code dir}. */
  static List<LoopDevice> loopsUnder(List<LoopDevice> loops, Path dir) {
    Path root = dir.toAbsolutePath().normalize();
    return loops.stream()
        .filter(l -> l.backingFile().toAbsolutePath().normalize().startsWith(root))
        .toList();
  }

  /** The target names in {@code dmsetup targets} output ({@code snapshot v1.16.0} lines). */
  static Set<String> targets(String output) {
    Set<String> names = new TreeSet<>();
    for (String line : output.split("\n")) {
      String trimmed = line.strip();
      if (!trimmed.isEmpty()) {
        names.add(trimmed.split("\\s+")[0]);
      }
    }
    return names;
  }
}
