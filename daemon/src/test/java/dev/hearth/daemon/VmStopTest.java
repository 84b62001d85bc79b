package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.fcproc.testing.FakeFirecracker;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The three steps of a graceful stop: SendCtrlAltDel, poweroff over SSH, SIGKILL. */
class VmStopTest {
  @TempDir Path dir;
  private VmFixture fx;

  @AfterEach
  void tearDown() throws Exception {
    if (fx != null) {
      fx.close();
      VmAssertions.killLeftoverFakes(fx);
    }
  }

  private JsonNode runningVm(boolean guestIgnoresCtrlAltDel) throws Exception {
    Map<String, String> fake =
        guestIgnoresCtrlAltDel
            ? Map.of(FakeFirecracker.IGNORE_CTRL_ALT_DEL_PROPERTY, "true")
            : Map.of();
    fx = new VmFixture(dir, VmFixture.config(dir, fake)).start();
    JsonNode op = fx.createAndWait("demo", "");
    assertThat(op.path("state").asText()).isEqualTo("succeeded");
    return fx.call("vm.show", "{\"vm\": \"demo\"}");
  }

  @Test
  void aGuestThatHonoursCtrlAltDelIsNotAskedToPowerOff() throws Exception {
    JsonNode vm = runningVm(false);

    // Half the timeout is the fake VMM's time to exit after SendCtrlAltDel: a JVM on a loaded host
    // may take seconds, and a guest that does shut down costs no more with a long timeout.
    JsonNode stopped = fx.call("vm.stop", "{\"vm\": \"demo\", \"timeout_seconds\": 60}");

    assertThat(stopped.path("state").asText()).isEqualTo("stopped");
    assertThat(fx.guest.powerOffs()).isEmpty();
    assertThat(VmAssertions.alive(vm.path("pid").asLong())).isFalse();
    assertThat(fx.layout.vmApiSocket(vm.path("id").asText())).doesNotExist();
  }

  @Test
  void aGuestThatIgnoresCtrlAltDelIsPoweredOffOverSsh() throws Exception {
    JsonNode vm = runningVm(true);
    long pid = vm.path("pid").asLong();
    // The fake guest's "poweroff": the fake firecracker exits on SIGTERM.
    fx.guest.onPowerOff(ip -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy));

    // 5 s wasted on SendCtrlAltDel, then 5 s for the SSH poweroff to reach the fake guest.
    JsonNode stopped = fx.call("vm.stop", "{\"vm\": \"demo\", \"timeout_seconds\": 10}");

    assertThat(stopped.path("state").asText()).isEqualTo("stopped");
    assertThat(fx.guest.powerOffs()).containsExactly(vm.path("ip").asText());
    assertThat(VmAssertions.alive(pid)).isFalse();
    assertThat(fx.layout.vmApiSocket(vm.path("id").asText())).doesNotExist();
  }

  @Test
  void aGuestThatIgnoresBothIsKilledWhenTheTimeoutEnds() throws Exception {
    JsonNode vm = runningVm(true);
    long pid = vm.path("pid").asLong();

    JsonNode stopped = fx.call("vm.stop", "{\"vm\": \"demo\", \"timeout_seconds\": 2}");

    assertThat(stopped.path("state").asText()).isEqualTo("stopped");
    assertThat(stopped.has("pid")).isFalse();
    assertThat(fx.guest.powerOffs()).containsExactly(vm.path("ip").asText());
    assertThat(VmAssertions.alive(pid)).isFalse();
    JsonNode started = fx.call("vm.start", "{\"vm\": \"demo\"}");
    assertThat(started.path("state").asText()).isEqualTo("running");
  }
}
