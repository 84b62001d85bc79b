package dev.hearth.core;

/**
 * The resource limits of the config with every {@code auto} resolved against the host: host totals
 * of the VMs, maxima of one VM, and the image build bounds. Resolved once when the daemon starts.
 *
 * @param maxTotalMemoryMib {@code max_total_memory_mib}, over the VMs that are not stopped
 * @param maxTotalVcpus {@code max_total_vcpus}, over the VMs that are not stopped
 * @param maxTotalDiskBytes {@code max_total_disk}, over every VM, stopped ones included
 * @param maxVmVcpus {@code max_vm_vcpus}
 * @param maxVmMemoryMib {@code max_vm_memory_mib}
 * @param maxVmDiskBytes {@code max_vm_disk_size}
 * @param maxBuildSizeBytes {@code max_image_build_size}
 * @param maxConcurrentBuilds {@code max_concurrent_builds}
 */
public record ResourceLimits(
    long maxTotalMemoryMib,
    long maxTotalVcpus,
    long maxTotalDiskBytes,
    int maxVmVcpus,
    int maxVmMemoryMib,
    long maxVmDiskBytes,
    long maxBuildSizeBytes,
    int maxConcurrentBuilds) {

  /** Memory kept for the host when the total is derived: an eighth of RAM, at least this much. */
  static final long MIN_HOST_RESERVE_MIB = 512;

  /** vCPUs per host CPU when the total is derived. */
  static final int VCPUS_PER_CPU = 16;

  /**
   * Resolves the config's limits; {@code auto} values come from the host. A {@code
   * default_memory_mib} or {@code default_vcpus} above the per-VM maximum is not refused here: a
   * create that uses it is, naming both keys.
   */
  public static ResourceLimits resolve(Config config, HostCapacity host) {
    long totalMemory =
        auto(
            config.get(ConfigKey.MAX_TOTAL_MEMORY_MIB),
            Math.max(1, host.memoryMib() - Math.max(MIN_HOST_RESERVE_MIB, host.memoryMib() / 8)));
    long totalVcpus =
        auto(config.get(ConfigKey.MAX_TOTAL_VCPUS), (long) host.cpus() * VCPUS_PER_CPU);
    long totalDisk = auto(config.get(ConfigKey.MAX_TOTAL_DISK), host.stateFilesystemBytes());
    int vmMemory =
        (int)
            auto(
                config.get(ConfigKey.MAX_VM_MEMORY_MIB),
                Math.min(Limits.MAX_MEMORY_MIB, totalMemory));
    int vmVcpus = Integer.parseInt(config.get(ConfigKey.MAX_VM_VCPUS));
    return new ResourceLimits(
        totalMemory,
        totalVcpus,
        totalDisk,
        vmVcpus,
        vmMemory,
        auto(config.get(ConfigKey.MAX_VM_DISK_SIZE), totalDisk),
        Long.parseLong(config.get(ConfigKey.MAX_IMAGE_BUILD_SIZE)),
        Integer.parseInt(config.get(ConfigKey.MAX_CONCURRENT_BUILDS)));
  }

  private static long auto(String value, long derived) {
    return value.equals(ConfigKey.AUTO) ? derived : Long.parseLong(value);
  }
}
