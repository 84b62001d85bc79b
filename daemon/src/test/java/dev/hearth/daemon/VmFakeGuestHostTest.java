package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.fcproc.net.Bridge;
import dev.hearth.fcproc.net.HostNetworkEnvironment;
import dev.hearth.fcproc.net.LinuxHostNetwork;
import dev.hearth.fcproc.net.NatRules;
import dev.hearth.fcproc.net.TapDevices;
import dev.hearth.fcproc.process.FirecrackerLauncher;
import dev.hearth.fcproc.testing.FakeFirecracker;
import dev.hearth.fcproc.testing.FakeGuestSsh;
import dev.hearth.fcproc.testing.TestNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon with nothing faked but firecracker: the real host network (a bridge, TAP prefix and NAT
 * tag of this test run's own, on a free network), the real guest seams (debugfs identity on a real
 * ext4 image, the SSH wait and poweroff over MINA with the daemon's key), and the fake firecracker
 * emulating the guest's SSH server on the guest's address ({@link
 * FakeFirecracker#GUEST_SSH_PROPERTY}). One VM at a time: each fake is a JVM.
 */
@RequiresRoot
@RequiresBinary({"ip", "mkfs.ext4", "debugfs"})
class VmFakeGuestHostTest {
  @TempDir Path dir;
  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private TestNetwork net;
  private VmFixture fx;

  @BeforeEach
  void pickNetwork() throws Exception {
    net = TestNetwork.pick(runner, "fg", 252);
  }

  @AfterEach
  void removeNetwork() throws Exception {
    if (fx != null) {
      fx.close();
      VmAssertions.killLeftoverFakes(fx);
    }
    TapDevices taps = new TapDevices(runner, net.tapPrefix());
    for (String tap : taps.list()) {
      taps.delete(tap);
    }
    new NatRules(
            runner, HostNetworkEnvironment.system(), net.bridgeName(), net.cidr(), net.natTag())
        .remove();
    new Bridge(runner, net.bridgeName(), net.cidr()).remove();
  }

  /** A daemon on the real host network and guest seams, the fake emulating the guest. */
  private void startDaemon(boolean guestIgnoresCtrlAltDel) throws Exception {
    Map<String, String> fake = new HashMap<>();
    fake.put(FakeFirecracker.GUEST_SSH_PROPERTY, "true");
    if (guestIgnoresCtrlAltDel) {
      fake.put(FakeFirecracker.IGNORE_CTRL_ALT_DEL_PROPERTY, "true");
    }
    fx =
        new VmFixture(
            dir,
            VmFixture.config(dir, fake)
                .with(ConfigKey.BRIDGE_NAME, net.bridgeName())
                .with(ConfigKey.BRIDGE_CIDR, net.cidr().toString())
                .with(ConfigKey.SSH_WAIT_TIMEOUT, "60s"));
    Path rootfs = fx.layout.imageDir(VmFixture.IMAGE).resolve("rootfs.ext4");
    runner.check(Command.of("mkfs.ext4", "-F", "-q", rootfs.toString(), "64M"));
    LinuxHostNetwork network =
        new LinuxHostNetwork(
            runner,
            HostNetworkEnvironment.system(),
            net.bridgeName(),
            net.cidr(),
            net.tapPrefix(),
            net.natTag());
    fx.start(Daemon.Seams.system().withHostNetwork(network));
  }

  private JsonNode createRunning(String name) throws Exception {
    JsonNode op = fx.createAndWait(name, "");
    assertThat(op.path("state").asText()).as("create op %s", op).isEqualTo("succeeded");
    JsonNode vm = show(name);
    assertThat(vm.path("state").asText()).isEqualTo("running");
    assertThat(hostAddresses()).contains(vm.path("ip").asText());
    return vm;
  }

  @Test
  void createStopStartDeleteThroughEveryRealStage() throws Exception {
    startDaemon(false);

    JsonNode vm = createRunning("demo");
    String ip = vm.path("ip").asText();
    assertThat(vm.path("tap").asText()).startsWith(net.tapPrefix());
    assertThat(debugfsCat(vm, "/etc/hostname")).isEqualTo("demo\n");
    assertThat(debugfsCat(vm, "/root/.ssh/authorized_keys"))
        .isEqualTo(Files.readString(fx.layout.sshPublicKey()).strip() + "\n");
    // The daemon's SSH wait logged in with its own key (the capper writes the line a moment later).
    String keyLine = FakeGuestSsh.KEY_LINE_PREFIX + daemonKeyWithoutComment();
    Await.until("the login's key line in the console log", () -> console(vm).contains(keyLine));

    JsonNode stopped = fx.call("vm.stop", "{\"vm\": \"demo\", \"timeout_seconds\": 20}");
    assertThat(stopped.path("state").asText()).isEqualTo("stopped");
    assertThat(VmAssertions.alive(vm.path("pid").asLong())).isFalse();
    awaitConsoleComplete(vm);
    assertThat(console(vm))
        .contains(FakeFirecracker.SHUTDOWN_LINE)
        .doesNotContain(FakeGuestSsh.POWEROFF_LINE);
    assertThat(hostAddresses()).doesNotContain(ip);

    JsonNode started = fx.call("vm.start", "{\"vm\": \"demo\"}");
    assertThat(started.path("state").asText()).isEqualTo("running");
    assertThat(started.path("ip").asText()).isEqualTo(ip);
    assertThat(hostAddresses()).contains(ip);
    long pid = started.path("pid").asLong();

    // A forced delete SIGKILLs the fake, so its address goes with the TAP.
    fx.call("vm.delete", "{\"vm\": \"demo\", \"force\": true}");
    assertNothingLeftOf(started, pid);
  }

  @Test
  void aGuestThatIgnoresCtrlAltDelStopsThroughSshPoweroff() throws Exception {
    startDaemon(true);
    JsonNode vm = createRunning("quiet");
    long pid = vm.path("pid").asLong();

    JsonNode stopped = fx.call("vm.stop", "{\"vm\": \"quiet\", \"timeout_seconds\": 20}");

    assertThat(stopped.path("state").asText()).isEqualTo("stopped");
    assertThat(VmAssertions.alive(pid)).isFalse();
    // Only the guest's own poweroff prints this; a SIGKILL would leave no last line.
    awaitConsoleComplete(vm);
    assertThat(console(vm))
        .contains(FakeGuestSsh.POWEROFF_LINE)
        .doesNotContain(FakeFirecracker.SHUTDOWN_LINE);
    assertThat(hostAddresses()).doesNotContain(vm.path("ip").asText());

    fx.call("vm.delete", "{\"vm\": \"quiet\"}");
    assertNothingLeftOf(vm, pid);
  }

  private void assertNothingLeftOf(JsonNode vm, long pid) throws Exception {
    VmAssertions.nothingLeft(fx, vm.path("id").asText(), pid);
    assertThat(linkNames()).noneMatch(l -> l.matches(net.tapPrefix() + "[0-9]+"));
    assertThat(hostAddresses()).doesNotContain(vm.path("ip").asText());
  }

  private JsonNode show(String name) {
    return fx.call("vm.show", "{\"vm\": \"" + name + "\"}");
  }

  /** Waits until the VM's console capper has written all and ended. */
  private void awaitConsoleComplete(JsonNode vm) throws Exception {
    Path capping =
        FirecrackerLauncher.capping(
            Path.of(show(vm.path("name").asText()).path("console_log").asText()));
    Await.until("the console capper to end (" + capping + " gone)", () -> !Files.exists(capping));
  }

  private String console(JsonNode vm) throws Exception {
    return Files.readString(Path.of(show(vm.path("name").asText()).path("console_log").asText()));
  }

  private String debugfsCat(JsonNode vm, String file) throws Exception {
    String disk = show(vm.path("name").asText()).path("root_disk").asText();
    return runner.check(Command.of("debugfs", "-R", "cat " + file, disk)).stdout();
  }

  /** The daemon's public key as an SSH server sees it: type and base64, no comment. */
  private String daemonKeyWithoutComment() throws Exception {
    String[] fields = Files.readString(fx.layout.sshPublicKey()).strip().split(" ");
    return fields[0] + " " + fields[1];
  }

  private List<String> linkNames() throws Exception {
    List<String> names = new ArrayList<>();
    for (JsonNode l : VmFixture.parse(runner.check(Command.of("ip", "-j", "link")).stdout())) {
      names.add(l.path("ifname").asText());
    }
    return names;
  }

  /** Every IPv4 address on the host's interfaces. */
  private List<String> hostAddresses() throws Exception {
    List<String> addresses = new ArrayList<>();
    for (JsonNode link : VmFixture.parse(runner.check(Command.of("ip", "-j", "addr")).stdout())) {
      for (JsonNode a : link.path("addr_info")) {
        if (a.path("family").asText().equals("inet")) {
          addresses.add(a.path("local").asText());
        }
      }
    }
    return addresses;
  }
}
