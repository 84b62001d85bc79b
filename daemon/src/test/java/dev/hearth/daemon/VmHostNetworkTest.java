package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.HostConditions;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.fcproc.net.Bridge;
import dev.hearth.fcproc.net.HostNetworkEnvironment;
import dev.hearth.fcproc.net.LinuxHostNetwork;
import dev.hearth.fcproc.net.NatRules;
import dev.hearth.fcproc.net.TapDevices;
import dev.hearth.fcproc.testing.TestNetwork;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One create and delete with the real host network (a bridge, TAP prefix and NAT tag of this test's
 * own, set through the config as a second daemon on a host would) and the fake firecracker: the TAP
 * appears on the bridge and is gone after delete. And a TAP an earlier daemon left on another
 * bridge ends up on the configured one when the pool hands it out, and again at vm start.
 */
@RequiresRoot
@RequiresBinary({"ip"})
class VmHostNetworkTest {
  @TempDir Path dir;
  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private TestNetwork net;

  /** The bridge of "an earlier daemon run with another bridge_name", when a test makes one. */
  private TestNetwork oldNet;

  private VmFixture fx;

  @BeforeEach
  void pickNetwork() throws Exception {
    net = TestNetwork.pick(runner, "vn", 251);
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
    if (oldNet != null) {
      new Bridge(runner, oldNet.bridgeName(), oldNet.cidr()).remove();
    }
  }

  @Test
  void theTapAppearsOnTheBridgeAndIsGoneAfterDelete() throws Exception {
    // The host network as the daemon makes it from the config: TAP prefix and nft tables named by
    // tap_prefix and network_tag, as a second daemon on a host would set them.
    fx =
        new VmFixture(
            dir,
            VmFixture.config(dir)
                .with(ConfigKey.BRIDGE_NAME, net.bridgeName())
                .with(ConfigKey.BRIDGE_CIDR, net.cidr().toString())
                .with(ConfigKey.TAP_PREFIX, net.tapPrefix())
                .with(ConfigKey.NETWORK_TAG, net.natTag()));
    fx.start(
        Daemon.Seams.system()
            .withVm(DaemonServices.linuxHostNetwork(fx.config, runner), fx.guest, fx.guest));

    JsonNode op = fx.createAndWait("net", "");
    assertThat(op.path("state").asText()).as("op %s", op).isEqualTo("succeeded");
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"net\"}");
    String tapName = net.tapPrefix() + "0";
    assertThat(vm.path("tap").asText()).isEqualTo(tapName);
    assertThat(vm.path("ip").asText()).isEqualTo(net.cidr().gateway().plus(1).toString());
    JsonNode tap = link(tapName);
    assertThat(tap).isNotNull();
    assertThat(tap.path("master").asText()).isEqualTo(net.bridgeName());
    if (HostConditions.which("nft").isPresent()) {
      assertThat(runner.check(Command.of("nft", "list", "tables")).stdout().lines())
          .as("the host's nft tables")
          .contains("table ip " + net.natTag(), "table bridge " + net.natTag());
    }

    fx.call("vm.delete", "{\"vm\": \"net\", \"force\": true}");
    assertThat(link(tapName)).isNull();
    assertThat(links()).noneMatch(l -> l.matches(net.tapPrefix() + "[0-9]+"));
  }

  @Test
  void aTapLeftOnAnotherBridgeIsPutOnTheConfiguredOne() throws Exception {
    oldNet = TestNetwork.pick(runner, "vo", 252);
    new Bridge(runner, oldNet.bridgeName(), oldNet.cidr()).ensure();
    String tap = net.tapPrefix() + "0";
    new TapDevices(runner, net.tapPrefix()).create(tap, oldNet.bridgeName());
    assertThat(link(tap).path("master").asText()).isEqualTo(oldNet.bridgeName());
    fx =
        new VmFixture(
            dir,
            VmFixture.config(dir)
                .with(ConfigKey.BRIDGE_NAME, net.bridgeName())
                .with(ConfigKey.BRIDGE_CIDR, net.cidr().toString())
                .with(ConfigKey.TAP_POOL_SIZE, "2"));
    LinuxHostNetwork network =
        new LinuxHostNetwork(
            runner,
            HostNetworkEnvironment.system(),
            net.bridgeName(),
            net.cidr(),
            net.tapPrefix(),
            net.natTag());
    fx.start(Daemon.Seams.system().withVm(network, fx.guest, fx.guest));

    JsonNode op = fx.createAndWait("net", "");
    assertThat(op.path("state").asText()).as("op %s", op).isEqualTo("succeeded");
    assertThat(fx.call("vm.show", "{\"vm\": \"net\"}").path("tap").asText()).isEqualTo(tap);
    assertOnTheBridgeAndUp(tap);

    // Stopped, the TAP stays; moved back by hand, vm start puts it on the bridge again.
    fx.call("vm.stop", "{\"vm\": \"net\"}");
    runner.check(Command.of("ip", "link", "set", tap, "master", oldNet.bridgeName()));
    fx.call("vm.start", "{\"vm\": \"net\"}");
    assertOnTheBridgeAndUp(tap);
    fx.call("vm.delete", "{\"vm\": \"net\", \"force\": true}");
  }

  private void assertOnTheBridgeAndUp(String tap) throws Exception {
    JsonNode link = link(tap);
    assertThat(link.path("master").asText()).isEqualTo(net.bridgeName());
    assertThat(link.path("flags").toString()).contains("\"UP\"");
  }

  private JsonNode link(String name) throws Exception {
    for (JsonNode l :
        VmFixture.parse(runner.check(Command.of("ip", "-j", "link", "show")).stdout())) {
      if (l.path("ifname").asText().equals(name)) {
        return l;
      }
    }
    return null;
  }

  private List<String> links() throws Exception {
    List<String> names = new ArrayList<>();
    for (JsonNode l :
        VmFixture.parse(runner.check(Command.of("ip", "-j", "link", "show")).stdout())) {
      names.add(l.path("ifname").asText());
    }
    return names;
  }
}
