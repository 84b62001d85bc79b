package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.daemon.internal.vm.LinuxHostNetwork;
import dev.hearth.fcproc.Bridge;
import dev.hearth.fcproc.HostNetworkEnvironment;
import dev.hearth.fcproc.Ipv4Cidr;
import dev.hearth.fcproc.NatRules;
import dev.hearth.fcproc.TapDevices;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One create and delete with the real host network (a bridge, TAP prefix and NAT tag of this test's
 * own) and the fake firecracker: the TAP appears on the bridge and is gone after delete. And a TAP
 * an earlier daemon left on another bridge ends up on the configured one when the pool hands it out,
 * and again at vm start.
 */
@RequiresRoot
@RequiresBinary({"ip"})
@Timeout(120)
class VmHostNetworkTest {
  private static final String BRIDGE = "hvmtest0";
  private static final Ipv4Cidr CIDR = Ipv4Cidr.parse("10.251.37.1/24");
  private static final String TAP_PREFIX = "hvmt";
  private static final String NAT_TAG = "hearth_vmtest";
  /** The bridge of "an earlier daemon run with another bridge_name". */
  private static final String OLD_BRIDGE = "hvmtold0";

  private static final Ipv4Cidr OLD_CIDR = Ipv4Cidr.parse("10.251.38.1/24");

  @TempDir Path dir;
  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private VmFixture fx;

  @AfterEach
  void removeNetwork() throws Exception {
    if (fx != null) {
      fx.close();
      VmAssertions.killLeftoverFakes(fx);
    }
    new NatRules(runner, HostNetworkEnvironment.system(), BRIDGE, CIDR, NAT_TAG).remove();
    TapDevices taps = new TapDevices(runner, TAP_PREFIX);
    for (String tap : taps.list()) {
      taps.delete(tap);
    }
    new Bridge(runner, BRIDGE, CIDR).remove();
    new Bridge(runner, OLD_BRIDGE, OLD_CIDR).remove();
  }

  @Test
  void theTapAppearsOnTheBridgeAndIsGoneAfterDelete() throws Exception {
    fx =
        new VmFixture(
            dir,
            VmFixture.config(dir)
                .with(ConfigKey.BRIDGE_NAME, BRIDGE)
                .with(ConfigKey.BRIDGE_CIDR, CIDR.toString()));
    LinuxHostNetwork network =
        new LinuxHostNetwork(
            runner, HostNetworkEnvironment.system(), BRIDGE, CIDR, TAP_PREFIX, NAT_TAG);
    fx.start(Daemon.Seams.system().withVm(network, fx.guest, fx.guest));

    JsonNode op = fx.createAndWait("net", "");
    assertThat(op.path("state").asText()).isEqualTo("succeeded");
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"net\"}");
    assertThat(vm.path("tap").asText()).isEqualTo("hvmt0");
    assertThat(vm.path("ip").asText()).isEqualTo("10.251.37.2");
    JsonNode tap = link("hvmt0");
    assertThat(tap).isNotNull();
    assertThat(tap.path("master").asText()).isEqualTo(BRIDGE);

    fx.call("vm.delete", "{\"vm\": \"net\", \"force\": true}");
    assertThat(link("hvmt0")).isNull();
    assertThat(links()).noneMatch(l -> l.matches(TAP_PREFIX + "[0-9]+"));
  }

  @Test
  void aTapLeftOnAnotherBridgeIsPutOnTheConfiguredOne() throws Exception {
    new Bridge(runner, OLD_BRIDGE, OLD_CIDR).ensure();
    TapDevices taps = new TapDevices(runner, TAP_PREFIX);
    taps.create("hvmt0", OLD_BRIDGE);
    assertThat(link("hvmt0").path("master").asText()).isEqualTo(OLD_BRIDGE);
    fx =
        new VmFixture(
            dir,
            VmFixture.config(dir)
                .with(ConfigKey.BRIDGE_NAME, BRIDGE)
                .with(ConfigKey.BRIDGE_CIDR, CIDR.toString())
                .with(ConfigKey.TAP_POOL_SIZE, "2"));
    LinuxHostNetwork network =
        new LinuxHostNetwork(
            runner, HostNetworkEnvironment.system(), BRIDGE, CIDR, TAP_PREFIX, NAT_TAG);
    fx.start(Daemon.Seams.system().withVm(network, fx.guest, fx.guest));

    JsonNode op = fx.createAndWait("net", "");
    assertThat(op.path("state").asText()).as("op %s", op).isEqualTo("succeeded");
    assertThat(fx.call("vm.show", "{\"vm\": \"net\"}").path("tap").asText()).isEqualTo("hvmt0");
    assertOnTheBridgeAndUp("hvmt0");

    // Stopped, the TAP stays; moved back by hand, vm start puts it on the bridge again.
    fx.call("vm.stop", "{\"vm\": \"net\"}");
    runner.check(Command.of("ip", "link", "set", "hvmt0", "master", OLD_BRIDGE));
    fx.call("vm.start", "{\"vm\": \"net\"}");
    assertOnTheBridgeAndUp("hvmt0");
    fx.call("vm.delete", "{\"vm\": \"net\", \"force\": true}");
  }

  private void assertOnTheBridgeAndUp(String tap) throws Exception {
    JsonNode link = link(tap);
    assertThat(link.path("master").asText()).isEqualTo(BRIDGE);
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
