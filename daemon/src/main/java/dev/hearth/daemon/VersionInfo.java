package dev.hearth.daemon;

import java.util.Optional;

/**
 * What {@code daemon.version} reports.
 *
 * @param vmm what the daemon runs VMs under; empty from a daemon too old to say
 */
public record VersionInfo(
    String version, int protocolVersion, String javaVersion, long pid, Optional<Vmm> vmm) {

  /**
   * The daemon's VMM: {@code firecracker}, {@code qemu} or {@code none}, the binary it starts for
   * each VM (none when nothing can run), and why, in one sentence.
   */
  public record Vmm(String kind, Optional<String> path, String reason) {}
}
