package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.ConfigKey;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.TapGuest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TAP an earlier daemon left is pooled at reconcile and put on the bridge when the pool hands it
 * out, and a stopped VM's TAP again at start: the earlier daemon may have had another bridge_name.
 * (VmHostNetworkTest shows the same with real TAPs on two bridges.)
 */
@Timeout(120)
class VmTapPoolTest {
  @TempDir Path dir;
  VmFixture fx;

  @AfterEach
  void stop() throws Exception {
    if (fx != null) {
      fx.close();
      VmAssertions.killLeftoverFakes(fx);
    }
  }

  @Test
  void aPooledTapIsPutOnTheBridgeBeforeUseAndAgainAtStart() throws Exception {
    Files.createDirectories(dir.resolve("net/taps"));
    Files.createFile(dir.resolve("net/taps").resolve(FakeHostNetwork.PREFIX + "0"));
    fx = new VmFixture(dir, VmFixture.config(dir).with(ConfigKey.TAP_POOL_SIZE, "2")).start();

    JsonNode op = fx.createAndWait("demo", "");
    assertThat(op.path("state").asText()).isEqualTo("succeeded");
    assertThat(fx.call("vm.show", "{\"vm\": \"demo\"}").path("tap").asText()).isEqualTo("ftap0");
    assertThat(fx.network.attached()).containsExactly("ftap0");

    fx.call("vm.stop", "{\"vm\": \"demo\"}");
    fx.call("vm.start", "{\"vm\": \"demo\"}");
    assertThat(fx.network.attached()).containsExactly("ftap0", "ftap0");
  }

  @Test
  void aTapThatIsNotOnTheHostIsNeverPooled() throws Exception {
    fx = new VmFixture(dir, VmFixture.config(dir).with(ConfigKey.TAP_POOL_SIZE, "2")).start();

    // A create whose TAP could not be made: its name must not go to the pool, or every later
    // create that takes it would fail to put it on the bridge.
    fx.network.failTapCreation(true);
    assertThatThrownBy(() -> fx.create("demo", ""))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("could not create TAP ftap0");
    fx.network.failTapCreation(false);
    assertThat(fx.createAndWait("demo", "").path("state").asText()).isEqualTo("succeeded");
    assertThat(fx.network.listTaps()).containsExactly("ftap0");

    // A TAP removed from the host by hand is not pooled when its VM goes either.
    Files.delete(dir.resolve("net/taps/ftap0"));
    fx.call("vm.delete", "{\"vm\": \"demo\", \"force\": true}");
    assertThat(fx.createAndWait("again", "").path("state").asText()).isEqualTo("succeeded");
    assertThat(fx.network.listTaps()).containsExactly("ftap0");
  }

  @Test
  void everyVmTapIsGuardedToItsGuestAndNoGuardOutlivesTheVm() throws Exception {
    fx = new VmFixture(dir, VmFixture.config(dir).with(ConfigKey.TAP_POOL_SIZE, "2")).start();

    assertThat(fx.createAndWait("demo", "").path("state").asText()).isEqualTo("succeeded");
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"demo\"}");
    TapGuest expected = new TapGuest(vm.path("mac").asText(), Ipv4.parse(vm.path("ip").asText()));
    assertThat(fx.network.guards()).isEqualTo(Map.of(vm.path("tap").asText(), expected));

    fx.call("vm.stop", "{\"vm\": \"demo\"}");
    fx.call("vm.start", "{\"vm\": \"demo\"}");
    assertThat(fx.network.guards()).isEqualTo(Map.of(vm.path("tap").asText(), expected));

    fx.call("vm.delete", "{\"vm\": \"demo\", \"force\": true}");
    assertThat(fx.network.listTaps()).as("the TAP went back to the pool").isNotEmpty();
    assertThat(fx.network.guards()).as("guards once the VM is deleted").isEmpty();
  }

  @Test
  void aDaemonStartGuardsTheTapsOfTheVmsItKeeps() throws Exception {
    fx = new VmFixture(dir).start();
    assertThat(fx.createAndWait("demo", "").path("state").asText()).isEqualTo("succeeded");
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"demo\"}");
    fx.call("vm.stop", "{\"vm\": \"demo\"}");
    fx.close();

    // A daemon whose host network has no guards yet, as after an upgrade from a hearth without.
    fx = new VmFixture(dir).start();
    assertThat(fx.network.guards())
        .isEqualTo(
            Map.of(
                vm.path("tap").asText(),
                new TapGuest(vm.path("mac").asText(), Ipv4.parse(vm.path("ip").asText()))));
  }
}
