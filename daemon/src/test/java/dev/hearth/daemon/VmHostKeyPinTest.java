package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Store;
import dev.hearth.daemon.internal.vm.VmHostKeys;
import dev.hearth.session.GuestHostKeys;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host key the identity stage writes into a VM's disk is pinned in its row, where the daemon's
 * SSH client looks it up by the VM's address; a VM with none gets the first key it shows, once.
 */
class VmHostKeyPinTest {
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
  void theIdentityStagesHostKeyIsPinnedForTheVmsAddress() throws Exception {
    fx = new VmFixture(dir).start();
    assertThat(fx.createAndWait("demo", "").path("state").asText()).isEqualTo("succeeded");
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"demo\"}");

    try (Store store = Store.open(fx.layout.database())) {
      VmHostKeys keys = new VmHostKeys(store);
      assertThat(keys.lookup(vm.path("ip").asText(), 22))
          .contains(new GuestHostKeys.Known("demo", Optional.of(FakeGuest.HOST_KEY)));
      assertThat(keys.lookup("10.255.255.254", 22)).as("an address of no VM").isEmpty();

      keys.pin("demo", "ssh-ed25519 AAAAother");
      assertThat(keys.lookup(vm.path("ip").asText(), 22).orElseThrow().publicKey())
          .as("a first-contact pin never replaces a pinned key")
          .contains(FakeGuest.HOST_KEY);
    }
  }
}
