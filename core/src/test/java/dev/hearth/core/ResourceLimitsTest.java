package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The resource limit keys: auto values derived from the host, explicit ones taken as given. */
class ResourceLimitsTest {
  private static final long GIB = 1L << 30;

  /** A host of 8 GiB and 4 CPUs whose state filesystem holds 100 GiB. */
  private static final HostProbe HOST =
      probe(
          Map.of(
              HostCapacity.MEMINFO,
              "MemTotal:        8388608 kB\nMemFree:         1000 kB\n",
              HostCapacity.CPUS_ONLINE,
              "0-2,5\n"),
          100 * GIB);

  @Test
  void autoLimitsComeFromTheHost() {
    HostCapacity host = HostCapacity.probe(HOST, Path.of("/var/lib/hearth"));
    assertThat(host).isEqualTo(new HostCapacity(8192, 4, 100 * GIB));

    ResourceLimits limits = ResourceLimits.resolve(Config.defaults(), host);

    // 8 GiB minus an eighth kept for the host; 16 vCPUs per CPU; the state filesystem's size.
    assertThat(limits.maxTotalMemoryMib()).isEqualTo(7168);
    assertThat(limits.maxTotalVcpus()).isEqualTo(64);
    assertThat(limits.maxTotalDiskBytes()).isEqualTo(100 * GIB);
    assertThat(limits.maxVmMemoryMib()).isEqualTo(7168);
    assertThat(limits.maxVmDiskBytes()).isEqualTo(100 * GIB);
    assertThat(limits.maxVmVcpus()).isEqualTo(Limits.MAX_VCPUS);
    assertThat(limits.maxBuildSizeBytes()).isEqualTo(64 * GIB);
    assertThat(limits.maxConcurrentBuilds()).isEqualTo(2);
  }

  @Test
  void aSmallHostKeepsAtLeast512MibForItself() {
    ResourceLimits limits =
        ResourceLimits.resolve(Config.defaults(), new HostCapacity(2048, 1, GIB));
    assertThat(limits.maxTotalMemoryMib()).isEqualTo(1536);
  }

  @Test
  void explicitValuesWinOverTheHost() throws IOException {
    Config config =
        Config.parse(
            String.join(
                "\n",
                "max_total_memory_mib = 4096",
                "max_total_vcpus = \"6\"",
                "max_total_disk = \"50GiB\"",
                "max_vm_vcpus = 4",
                "max_vm_memory_mib = 2048",
                "max_vm_disk_size = 10737418240",
                "max_image_build_size = \"8GiB\"",
                "max_concurrent_builds = 1",
                "max_connections_per_uid = 4",
                "root_reserved_connections = 2",
                "client_write_timeout = \"5s\""),
            Path.of("test.toml"));

    ResourceLimits limits = ResourceLimits.resolve(config, new HostCapacity(8192, 4, 100 * GIB));

    assertThat(limits)
        .isEqualTo(new ResourceLimits(4096, 6, 50 * GIB, 4, 2048, 10 * GIB, 8 * GIB, 1));
    assertThat(config.maxConnectionsPerUid()).isEqualTo(4);
    assertThat(config.rootReservedConnections()).isEqualTo(2);
    assertThat(config.clientWriteTimeout()).hasSeconds(5);
  }

  @Test
  void badValuesAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> Config.defaults().with(ConfigKey.MAX_TOTAL_MEMORY_MIB, "lots"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("max_total_memory_mib")
        .hasMessageContaining("auto, or a positive integer");
    assertThatThrownBy(() -> Config.defaults().with(ConfigKey.MAX_TOTAL_VCPUS, "0"))
        .hasMessageContaining("max_total_vcpus");
    assertThatThrownBy(() -> Config.defaults().with(ConfigKey.MAX_TOTAL_DISK, "1 elephant"))
        .hasMessageContaining("max_total_disk");
    assertThatThrownBy(() -> Config.defaults().with(ConfigKey.MAX_VM_VCPUS, "33"))
        .hasMessageContaining("max_vm_vcpus");
  }

  @Test
  void anUnreadableHostIsAnErrorNamingTheFile() {
    assertThatThrownBy(() -> HostCapacity.probe(probe(Map.of(), GIB), Path.of("/")))
        .isInstanceOf(CoreException.class)
        .hasMessageContaining("/proc/meminfo");
    assertThatThrownBy(() -> HostCapacity.onlineCpus("zero"))
        .hasMessageContaining("/sys/devices/system/cpu/online");
  }

  private static HostProbe probe(Map<Path, String> texts, long filesystemBytes) {
    return new HostProbe() {
      @Override
      public boolean exists(Path path) {
        return true;
      }

      @Override
      public Optional<FileStatus> stat(Path path) {
        return Optional.empty();
      }

      @Override
      public boolean canReadAndWrite(Path path) {
        return true;
      }

      @Override
      public boolean isExecutable(Path path) {
        return false;
      }

      @Override
      public String readSmallText(Path path) throws IOException {
        String text = texts.get(path);
        if (text == null) {
          throw new NoSuchFileException(path.toString());
        }
        return text;
      }

      @Override
      public long usableSpace(Path dir) {
        return filesystemBytes;
      }

      @Override
      public long totalSpace(Path dir) {
        return filesystemBytes;
      }

      @Override
      public Optional<Path> findExecutable(String program) {
        return Optional.empty();
      }

      @Override
      public List<Path> list(Path dir) {
        return List.of();
      }

      @Override
      public long treeBytes(Path path) {
        return 0;
      }
    };
  }
}
