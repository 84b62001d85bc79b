package dev.hearth.fcproc.client;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * Body of {@code PUT /machine-config}. Absent optional fields are left out of the request, so that
 * Firecracker applies its defaults.
 */
public record MachineConfig(
    int vcpuCount, int memSizeMib, Optional<Boolean> smt, Optional<Boolean> trackDirtyPages) {

  public MachineConfig {
    if (vcpuCount < 1 || vcpuCount > 32) {
      throw new IllegalArgumentException("vcpu_count must be 1 to 32, got " + vcpuCount);
    }
    if (memSizeMib < 1) {
      throw new IllegalArgumentException("mem_size_mib must be positive, got " + memSizeMib);
    }
    requireNonNull(smt, "smt");
    requireNonNull(trackDirtyPages, "trackDirtyPages");
  }

  public MachineConfig(int vcpuCount, int memSizeMib) {
    this(vcpuCount, memSizeMib, Optional.empty(), Optional.empty());
  }
}
