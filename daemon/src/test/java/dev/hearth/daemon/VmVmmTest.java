package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.fcproc.KvmStatus;
import dev.hearth.fcproc.QemuAccel;
import dev.hearth.fcproc.VmmSelector;
import dev.hearth.fcproc.testing.FakeFirecrackerScript;
import dev.hearth.fcproc.testing.RecordedRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's VMM: chosen by fcproc's selector at each boot, recorded in the VM's row (so vm.show
 * says it after a daemon restart) and reported by daemon.version; a host where nothing can run
 * fails the boot stage naming why.
 */
@Timeout(180)
class VmVmmTest {
  private static final KvmStatus NO_KVM =
      new KvmStatus(KvmStatus.Kind.MISSING, "there is no /dev/kvm");

  @TempDir Path dir;
  VmFixture fx;

  @AfterEach
  void stop() throws Exception {
    if (fx != null) {
      fx.close();
      VmAssertions.killLeftoverFakes(fx);
    }
  }

  /** A selector that finds no firecracker and no KVM, and the launcher under {@code home}. */
  private static VmmSelector noKvm(Optional<Path> home) {
    return new VmmSelector(
        "",
        home,
        QemuAccel.AUTO,
        p -> Files.isRegularFile(p) && Files.isExecutable(p),
        () -> NO_KVM);
  }

  private VmFixture start(Config config, VmmSelector selector) {
    fx = new VmFixture(dir, config);
    fx.start(fx.seams().withVmmSelector(selector));
    return fx;
  }

  @Test
  void autoFindsTheLauncherUnderTheHearthHomeAndTheVmRecordsQemu() throws Exception {
    // The fake firecracker plays the bundled launcher, found as <home>/bin/hearth-qemu-firecracker.
    Path home = dir.resolve("hearth");
    Path launcher = FakeFirecrackerScript.write(home.resolve("bin").resolve(VmmSelector.LAUNCHER));
    start(VmFixture.config(dir).with(ConfigKey.FIRECRACKER_BIN, ""), noKvm(Optional.of(home)));

    JsonNode version = fx.call("daemon.version", "{}");
    assertThat(version.path("vmm").path("kind").asText()).isEqualTo("qemu");
    assertThat(version.path("vmm").path("path").asText()).isEqualTo(launcher.toString());
    assertThat(version.path("vmm").path("reason").asText())
        .isEqualTo(
            "no executable 'firecracker' on PATH (PATH is empty) and there is no /dev/kvm, so VMs"
                + " run under QEMU with software emulation through "
                + launcher);
    assertThat(version.path("pid").asLong()).isPositive();

    JsonNode op = fx.createAndWait("demo", "");
    assertThat(op.path("state").asText()).as("op %s", op).isEqualTo("succeeded");
    assertThat(op.path("log").toString()).contains("VMM: no executable 'firecracker'");
    assertThat(fx.call("vm.show", "{\"vm\": \"demo\"}").path("vmm").asText()).isEqualTo("qemu");

    // The row keeps it: a new daemon on a host that now has Firecracker still says qemu.
    fx.stopDaemon();
    fx.start(fx.seams());
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"demo\"}");
    assertThat(vm.path("state").asText()).isEqualTo("running");
    assertThat(vm.path("vmm").asText()).isEqualTo("qemu");
  }

  @Test
  void aConfiguredFirecrackerBinIsRecordedAsFirecracker() throws Exception {
    fx = new VmFixture(dir).start();

    assertThat(fx.call("vm.list", "{}").path("vms")).isEmpty();
    JsonNode op = fx.createAndWait("demo", "\"no_start\": true");
    assertThat(op.path("state").asText()).isEqualTo("succeeded");
    assertThat(fx.call("vm.show", "{\"vm\": \"demo\"}").has("vmm"))
        .as("no VMM before the first boot")
        .isFalse();
    fx.call("vm.start", "{\"vm\": \"demo\"}");
    assertThat(fx.call("vm.show", "{\"vm\": \"demo\"}").path("vmm").asText())
        .isEqualTo("firecracker");
  }

  /** The configured rates: 8 MiB/s and 400 operations for the disk, 1 MiB/s each way. */
  private static Config rated(Config config) {
    return config
        .with(ConfigKey.VM_DISK_BANDWIDTH, "8MiB")
        .with(ConfigKey.VM_DISK_IOPS, "400")
        .with(ConfigKey.VM_NET_BANDWIDTH, "1MiB");
  }

  /** The bodies of the VM's API requests that firecracker took, by endpoint. */
  private Map<String, JsonNode> requests(String vm) throws Exception {
    Path socket =
        Path.of(fx.call("vm.show", "{\"vm\": \"" + vm + "\"}").path("api_socket").asText());
    return RecordedRequest.readAll(socket).stream()
        .filter(r -> r.status() == 204)
        .collect(Collectors.toMap(RecordedRequest::endpoint, RecordedRequest::body, (a, b) -> b));
  }

  private static void assertBucket(JsonNode bucket, long size) {
    assertThat(bucket.path("size").asLong()).as("%s", bucket).isEqualTo(size);
    assertThat(bucket.path("refill_time").asLong()).as("%s", bucket).isEqualTo(1000);
  }

  @Test
  void firecrackerGetsTheConfiguredRatesAsItsRateLimiters() throws Exception {
    fx = new VmFixture(dir, rated(VmFixture.config(dir))).start();

    JsonNode op = fx.createAndWait("demo", "");
    assertThat(op.path("state").asText()).as("op %s", op).isEqualTo("succeeded");

    Map<String, JsonNode> requests = requests("demo");
    JsonNode disk = requests.get("PUT /drives/rootfs").path("rate_limiter");
    assertBucket(disk.path("bandwidth"), 8 << 20);
    assertBucket(disk.path("ops"), 400);
    JsonNode nic = requests.get("PUT /network-interfaces/eth0");
    assertBucket(nic.path("rx_rate_limiter").path("bandwidth"), 1 << 20);
    assertBucket(nic.path("tx_rate_limiter").path("bandwidth"), 1 << 20);
    assertThat(nic.path("tx_rate_limiter").has("ops")).isFalse();
    assertThat(fx.network.limits()).as("Firecracker limits its network itself").isEmpty();
  }

  @Test
  void underTheQemuLauncherTheDiskIsThrottledAndTheTapHoldsTheNetworkRate() throws Exception {
    Path home = dir.resolve("hearth");
    FakeFirecrackerScript.write(home.resolve("bin").resolve(VmmSelector.LAUNCHER));
    start(
        rated(VmFixture.config(dir).with(ConfigKey.FIRECRACKER_BIN, "")), noKvm(Optional.of(home)));

    JsonNode op = fx.createAndWait("demo", "");
    assertThat(op.path("state").asText()).as("op %s", op).isEqualTo("succeeded");

    Map<String, JsonNode> requests = requests("demo");
    assertBucket(
        requests.get("PUT /drives/rootfs").path("rate_limiter").path("bandwidth"), 8 << 20);
    JsonNode nic = requests.get("PUT /network-interfaces/eth0");
    assertThat(nic.has("rx_rate_limiter") || nic.has("tx_rate_limiter")).as("%s", nic).isFalse();
    assertThat(fx.network.limits()).containsExactly(Map.entry("ftap0", 1L << 20));

    fx.call("vm.stop", "{\"vm\": \"demo\"}");
    fx.call("vm.start", "{\"vm\": \"demo\"}");
    assertThat(fx.network.limits()).as("set again at each boot").containsKey("ftap0");
    fx.call("vm.delete", "{\"vm\": \"demo\", \"force\": true}");
    assertThat(fx.network.limits()).as("gone with the VM's TAP").isEmpty();
  }

  @Test
  void whenNothingCanRunTheBootFailsNamingWhyAndLeavesNothing() throws Exception {
    start(VmFixture.config(dir).with(ConfigKey.FIRECRACKER_BIN, ""), noKvm(Optional.empty()));

    JsonNode version = fx.call("daemon.version", "{}");
    assertThat(version.path("vmm").path("kind").asText()).isEqualTo("none");
    assertThat(version.path("vmm").path("path").isNull()).isTrue();

    JsonNode op = fx.createAndWait("demo", "");
    assertThat(op.path("state").asText()).isEqualTo("failed");
    assertThat(op.path("error").path("stage").asText()).isEqualTo("boot");
    assertThat(op.path("error").path("message").asText())
        .isEqualTo(
            "no VMM can run VMs on this host: no executable 'firecracker' on PATH (PATH is empty)"
                + " and there is no /dev/kvm, and the bundled hearth-qemu-firecracker cannot be"
                + " found: HEARTH_HOME is not set (bin/hearth sets it to the distribution's"
                + " folder)");
    assertThat(fx.call("vm.list", "{}").path("vms")).isEmpty();
    assertThat(fx.network.listTaps()).isEmpty();
  }
}
