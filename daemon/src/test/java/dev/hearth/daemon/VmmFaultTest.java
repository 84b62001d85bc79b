package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.ConfigKey;
import dev.hearth.fcproc.testing.FakeFirecracker;
import dev.hearth.fcproc.testing.FakeFirecrackerScript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VMM that exits at once, one that never serves its API and one whose API takes connections but
 * never answers (ARCHITECTURE.md, "Faults"): the create or start fails at its boot with an error
 * naming the VMM and what it did (its exit code and last console lines, or the deadline it missed),
 * nothing of the VM is left (process, API socket, folder, TAP, row), and a VM booted afterwards by
 * a working VMM runs. The VMM is swapped by rewriting the {@code firecracker_bin} script, which
 * each boot runs afresh.
 */
class VmmFaultTest {
  @TempDir Path dir;
  private VmFixture fx;
  private Path firecrackerBin;

  @BeforeEach
  void start() {
    fx = new VmFixture(dir, VmFixture.config(dir).with(ConfigKey.VMM_START_TIMEOUT, "3s")).start();
    firecrackerBin = dir.resolve("bin").resolve("firecracker");
  }

  @AfterEach
  void stop() throws Exception {
    if (fx != null) {
      fx.close();
    }
  }

  @Test
  void aVmmThatExitsAtOnceFailsTheCreateNamingItsCodeAndOutput() throws Exception {
    vmm("#!/bin/sh\n" + "echo 'hflt: the VMM cannot open /dev/kvm' >&2\n" + "exit 3\n");

    JsonNode op = fx.createAndWait("early", "");

    assertThat(op.path("state").asText()).isEqualTo("failed");
    assertThat(op.path("error").path("stage").asText()).isEqualTo("boot");
    assertThat(op.path("error").path("message").asText())
        .contains("exited with code 3 before its API socket")
        .contains("hflt: the VMM cannot open /dev/kvm");
    assertNoVmLeft();
    aWorkingVmmBootsTheNextVm();
  }

  @Test
  void aVmmThatExitsAtOnceFailsTheStartAndTheVmStaysStopped() throws Exception {
    assertThat(fx.createAndWait("later", "\"no_start\": true").path("state").asText())
        .isEqualTo("succeeded");
    vmm("#!/bin/sh\necho 'hflt: bad config' >&2\nexit 1\n");

    assertThatThrownBy(() -> fx.call("vm.start", "{\"vm\": \"later\"}"))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("starting VM later failed")
        .hasMessageContaining("exited with code 1")
        .hasMessageContaining("hflt: bad config");

    JsonNode vm = fx.call("vm.show", "{\"vm\": \"later\"}");
    assertThat(vm.path("state").asText()).isEqualTo("stopped");
    assertThat(vm.has("pid")).isFalse();
    assertThat(fx.layout.vmApiSocket(vm.path("id").asText())).doesNotExist();
    VmAssertions.assertNoFakeProcesses(fx);
    FakeFirecrackerScript.write(firecrackerBin);
    assertThat(fx.call("vm.start", "{\"vm\": \"later\"}").path("state").asText())
        .isEqualTo("running");
    fx.call("vm.delete", "{\"vm\": \"later\", \"force\": true}");
    assertNoVmLeft();
  }

  @Test
  void aVmmThatNeverServesItsApiIsKilledAtTheSocketDeadline() throws Exception {
    FakeFirecrackerScript.write(
        firecrackerBin, Map.of(FakeFirecracker.HANG_PROPERTY, "before-api"));

    JsonNode op = fx.createAndWait("mute", "");

    assertThat(op.path("state").asText()).isEqualTo("failed");
    assertThat(op.path("error").path("stage").asText()).isEqualTo("boot");
    assertThat(op.path("error").path("message").asText())
        .contains("did not accept connections within 3000 ms")
        .contains("hanging (before-api)");
    assertNoVmLeft();
    aWorkingVmmBootsTheNextVm();
  }

  @Test
  void aVmmWhoseApiNeverAnswersIsKilledAtTheRequestDeadline() throws Exception {
    FakeFirecrackerScript.write(firecrackerBin, Map.of(FakeFirecracker.HANG_PROPERTY, "api"));

    JsonNode op = fx.createAndWait("deaf", "");

    assertThat(op.path("state").asText()).isEqualTo("failed");
    assertThat(op.path("error").path("stage").asText()).isEqualTo("boot");
    assertThat(op.path("error").path("message").asText())
        .contains("cannot talk to firecracker on")
        .contains("PUT /logger")
        .contains("no answer within 10000 ms");
    assertNoVmLeft();
    aWorkingVmmBootsTheNextVm();
  }

  private void vmm(String script) throws Exception {
    Files.writeString(firecrackerBin, script);
    Files.setPosixFilePermissions(firecrackerBin, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** No row, folder, API socket, TAP or VMM process is left. */
  private void assertNoVmLeft() throws Exception {
    assertThat(fx.call("vm.list", "{}").path("vms")).isEmpty();
    assertThat(VmAssertions.children(fx.layout.vmsDir())).isEmpty();
    assertThat(VmAssertions.children(fx.layout.vmSocketsDir()))
        .noneMatch(p -> p.toString().endsWith(".sock"));
    assertThat(fx.network.listTaps()).isEmpty();
    VmAssertions.assertNoFakeProcesses(fx);
  }

  private void aWorkingVmmBootsTheNextVm() throws Exception {
    FakeFirecrackerScript.write(firecrackerBin);
    JsonNode op = fx.createAndWait("next", "");
    assertThat(op.path("state").asText()).as("the next create: %s", op).isEqualTo("succeeded");
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"next\"}");
    assertThat(vm.path("state").asText()).isEqualTo("running");
    fx.call("vm.delete", "{\"vm\": \"next\", \"force\": true}");
    VmAssertions.nothingLeft(fx, vm.path("id").asText(), vm.path("pid").asLong());
  }
}
