package dev.hearth.dmsnap;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.Command;
import dev.hearth.core.CommandException;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Finds out whether device-mapper snapshots work here: {@code /dev/mapper/control} exists and
 * {@code dmsetup targets} lists {@code snapshot}. The kernel loads the dm-snapshot module on the
 * first table that needs it, so an unlisted target still counts when the running kernel has the
 * module (named in {@code modules.dep} or {@code modules.builtin}).
 */
public final class DeviceMapperProbe {
  public static final Path CONTROL = Path.of("/dev/mapper/control");

  private static final String SNAPSHOT_MODULE = "/dm-snapshot.ko";

  private final Runner runner;
  private final Path control;
  private final Path kernelModules;

  /** Probes the running host. */
  public DeviceMapperProbe(Runner runner) {
    this(runner, CONTROL, Path.of("/lib/modules", System.getProperty("os.version", "")));
  }

  /**
   * @param control the device-mapper control node to look for
   * @param kernelModules the running kernel's module folder, holding {@code modules.dep}
   */
  public DeviceMapperProbe(Runner runner, Path control, Path kernelModules) {
    this.runner = requireNonNull(runner, "runner");
    this.control = requireNonNull(control, "control");
    this.kernelModules = requireNonNull(kernelModules, "kernelModules");
  }

  public DeviceMapperStatus probe() throws InterruptedException {
    if (!Files.exists(control)) {
      return new DeviceMapperStatus(
          false,
          control + " is missing: the kernel has no device-mapper (or dm_mod is not loaded)");
    }
    CommandResult result;
    try {
      result = runner.run(Command.of(HostListings.DMSETUP_TARGETS));
    } catch (CommandException e) {
      return new DeviceMapperStatus(false, "dmsetup cannot be run: " + e.getMessage());
    }
    if (!result.ok()) {
      return new DeviceMapperStatus(
          false,
          "`dmsetup targets` failed (exit code "
              + result.exitCode()
              + "): "
              + firstLine(result.stderr()));
    }
    Set<String> targets = HostListings.targets(result.stdout());
    if (targets.contains("snapshot")) {
      return new DeviceMapperStatus(true, "device-mapper with the snapshot target");
    }
    if (kernelHasSnapshotModule()) {
      return new DeviceMapperStatus(
          true, "device-mapper; the snapshot target loads on first use (dm-snapshot module)");
    }
    return new DeviceMapperStatus(
        false,
        "device-mapper has no snapshot target (dmsetup targets lists: "
            + String.join(", ", targets)
            + ")");
  }

  private boolean kernelHasSnapshotModule() {
    for (String index : List.of("modules.dep", "modules.builtin")) {
      Path file = kernelModules.resolve(index);
      try {
        if (Files.isRegularFile(file) && Files.readString(file).contains(SNAPSHOT_MODULE)) {
          return true;
        }
      } catch (IOException e) {
        // An unreadable index tells nothing either way: the listed targets decide.
      }
    }
    return false;
  }

  private static String firstLine(String text) {
    String s = text.strip();
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
