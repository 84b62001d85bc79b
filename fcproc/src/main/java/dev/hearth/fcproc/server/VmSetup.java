package dev.hearth.fcproc.server;

import static java.util.Objects.requireNonNull;

import dev.hearth.fcproc.client.BootSource;
import dev.hearth.fcproc.client.Drive;
import dev.hearth.fcproc.client.LoggerConfig;
import dev.hearth.fcproc.client.MachineConfig;
import dev.hearth.fcproc.client.MetricsConfig;
import dev.hearth.fcproc.client.NetworkInterface;
import java.util.List;
import java.util.Optional;

/**
 * The pre-boot configuration a {@link FirecrackerApiServer} collected, handed to its backend on
 * {@code InstanceStart}.
 *
 * @param drives in the order they were first configured, the root device (if any) first
 * @param networkInterfaces in the order they were first configured
 * @param bootSource present: InstanceStart is refused without one
 */
public record VmSetup(
    String instanceId,
    MachineConfig machine,
    BootSource bootSource,
    List<Drive> drives,
    List<NetworkInterface> networkInterfaces,
    Optional<LoggerConfig> logger,
    Optional<MetricsConfig> metrics) {
  public VmSetup {
    requireNonNull(instanceId, "instanceId");
    requireNonNull(machine, "machine");
    requireNonNull(bootSource, "bootSource");
    drives = List.copyOf(drives);
    networkInterfaces = List.copyOf(networkInterfaces);
    requireNonNull(logger, "logger");
    requireNonNull(metrics, "metrics");
  }

  /** The root device, when a drive is one. */
  public Optional<Drive> rootDrive() {
    return drives.stream().filter(Drive::isRootDevice).findFirst();
  }
}
