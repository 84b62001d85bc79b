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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One create and delete with the real host network (a bridge, TAP prefix and NAT tag of this test's
 * own) and the fake firecracker: the TAP appears on the bridge and is gone after delete.
 */
@RequiresRoot
@RequiresBinary({"ip"})
@Timeout(120)
class VmHostNetworkTest {
  private static final String BRIDGE = "hvmtest0";
  private static final Ipv4Cidr CIDR = Ipv4Cidr.parse("10.251.37.1/24");
  private static final String TAP_PREFIX = "hvmt";
  private static final String NAT_TAG = "hearth_vmtest";

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
    new Bridge(runner, BRIDGE, CIDR).remove();
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
