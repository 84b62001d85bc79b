package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.testing.Await;
import dev.hearth.daemon.internal.api.HearthClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resource limits on a real daemon socket with the fake firecracker: per-VM maxima are invalid
 * params naming their key, host totals are precondition_failed naming the key, the request and what
 * is in use, checked under createVmLock (concurrent creates at the edge), and nothing of a refused
 * create is left.
 */
@Timeout(180)
class VmQuotaTest {
  private static final long MIB = 1024 * 1024;

  @TempDir Path dir;
  private VmFixture fx;

  private VmFixture start(String totalMemoryMib, String totalVcpus, String totalDisk) {
    fx =
        new VmFixture(
                dir,
                VmFixture.config(dir)
                    .with(ConfigKey.MAX_TOTAL_MEMORY_MIB, totalMemoryMib)
                    .with(ConfigKey.MAX_TOTAL_VCPUS, totalVcpus)
                    .with(ConfigKey.MAX_TOTAL_DISK, totalDisk)
                    .with(ConfigKey.MAX_VM_VCPUS, "2")
                    .with(ConfigKey.MAX_VM_MEMORY_MIB, "1024")
                    .with(ConfigKey.MAX_VM_DISK_SIZE, "64MiB")
                    .with(ConfigKey.DEFAULT_MEMORY_MIB, "512")
                    .with(ConfigKey.DEFAULT_VCPUS, "1"))
            .start();
    return fx;
  }

  @AfterEach
  void tearDown() throws Exception {
    if (fx != null) {
      fx.close();
    }
  }

  private static HearthException refusal(Runnable call) {
    try {
      call.run();
    } catch (HearthException e) {
      return e;
    }
    throw new AssertionError("the call was not refused");
  }

  private int vmCount() {
    return fx.call("vm.list", "{}").path("vms").size();
  }

  @Test
  void perVmMaximaAreInvalidParamsNamingTheirKey() {
    start("auto", "auto", "auto");
    HearthException vcpus = refusal(() -> fx.create("big", "\"vcpus\": 3"));
    assertThat(vcpus).hasMessageContaining("vcpus 3").hasMessageContaining("max_vm_vcpus");
    HearthException memory = refusal(() -> fx.create("big", "\"memory_mib\": 2048"));
    assertThat(memory)
        .hasMessageContaining("memory_mib 2048")
        .hasMessageContaining("max_vm_memory_mib");
    HearthException disk = refusal(() -> fx.create("big", "\"disk_size\": " + 128 * MIB));
    assertThat(disk).hasMessageContaining("disk_size").hasMessageContaining("max_vm_disk_size");
    assertThat(vmCount()).isZero();
  }

  @Test
  void memoryAndVcpuTotalsCountVmsThatAreNotStopped() {
    start("1024", "2", "auto");
    assertThat(fx.createAndWait("a", "").path("state").asText()).isEqualTo("succeeded");
    assertThat(fx.createAndWait("b", "").path("state").asText()).isEqualTo("succeeded");

    HearthException full = refusal(() -> fx.create("c", ""));
    assertThat(full.kind().wireName()).isEqualTo("precondition_failed");
    assertThat(full)
        .hasMessageContaining("max_total_memory_mib is 1024 MiB")
        .hasMessageContaining("1024 MiB (2 VMs that are not stopped) are in use")
        .hasMessageContaining("512 MiB of memory");
    assertThat(vmCount()).isEqualTo(2);

    // A stopped VM holds no memory: c fits once a is stopped, and then a cannot start again.
    fx.call("vm.stop", "{\"vm\": \"a\"}");
    assertThat(fx.createAndWait("c", "").path("state").asText()).isEqualTo("succeeded");
    HearthException start = refusal(() -> fx.call("vm.start", "{\"vm\": \"a\"}"));
    assertThat(start.kind().wireName()).isEqualTo("precondition_failed");
    assertThat(start).hasMessageContaining("max_total_memory_mib");
    assertThat(fx.call("vm.show", "{\"vm\": \"a\"}").path("state").asText()).isEqualTo("stopped");
  }

  @Test
  void theVcpuTotalIsNamedToo() {
    start("auto", "3", "auto");
    fx.createAndWait("a", "\"vcpus\": 2");
    HearthException full = refusal(() -> fx.create("b", "\"vcpus\": 2"));
    assertThat(full).hasMessageContaining("max_total_vcpus is 3").hasMessageContaining("2 vCPUs");
  }

  @Test
  void theDiskTotalCountsStoppedVmsToo() {
    // The image's 8 MiB is each VM's disk; room for one.
    start("auto", "auto", "12MiB");
    JsonNode a = fx.createAndWait("a", "\"no_start\": true");
    assertThat(a.path("state").asText()).as(a.toString()).isEqualTo("succeeded");
    assertThat(fx.call("vm.show", "{\"vm\": \"a\"}").path("state").asText()).isEqualTo("stopped");
    HearthException full = refusal(() -> fx.create("b", ""));
    assertThat(full.kind().wireName()).isEqualTo("precondition_failed");
    assertThat(full)
        .hasMessageContaining("max_total_disk is 12 MiB")
        .hasMessageContaining("8 MiB of the VMs' disks (1 VMs, stopped included)")
        .hasMessageContaining("a root disk of 8 MiB");
    fx.call("vm.delete", "{\"vm\": \"a\"}");
    assertThat(fx.createAndWait("b", "").path("state").asText()).isEqualTo("succeeded");
  }

  @Test
  void concurrentCreatesAtTheEdgeOfATotalDoNotBothPass() throws Exception {
    // Room for exactly 3 VMs of 512 MiB; 8 creates race for it.
    start("1536", "auto", "auto");
    List<Future<JsonNode>> creates = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String name = "vm" + i;
      creates.add(
          Await.async(
              "create " + name,
              () -> {
                try (HearthClient client = HearthClient.connect(fx.layout.socket())) {
                  return VmFixture.parse(
                      Rpc.call(
                          client,
                          "vm.create",
                          "{\"name\": \"" + name + "\", \"image\": \"" + VmFixture.IMAGE + "\"}"));
                }
              }));
    }
    int admitted = 0;
    List<String> refused = new ArrayList<>();
    for (Future<JsonNode> f : creates) {
      try {
        JsonNode created = Await.result(f, "a create");
        fx.watch(created.path("op").path("id").asText());
        admitted++;
      } catch (ExecutionException e) {
        refused.add(e.getCause().getMessage());
      }
    }
    assertThat(admitted).as(refused.toString()).isEqualTo(3);
    assertThat(refused).hasSize(5).allSatisfy(m -> assertThat(m).contains("max_total_memory_mib"));
    assertThat(vmCount()).isEqualTo(3);
  }
}
