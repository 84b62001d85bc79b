package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure at every stage of vm.create: afterwards no TAP, disk, process, socket, address or row
 * is left, and the operation records the stage and the reason.
 */
class VmCreateFailureTest {
  @TempDir Path dir;
  VmFixture fx;

  @AfterEach
  void stop() throws Exception {
    if (fx != null) {
      fx.close();
      VmAssertions.killLeftoverFakes(fx);
    }
  }

  private VmFixture start(Config config) {
    fx = new VmFixture(dir, config).start();
    return fx;
  }

  @Test
  void reserveRefusesADuplicateNameAndAFullNetworkWithoutAnOperation() throws Exception {
    start(VmFixture.config(dir).with(ConfigKey.BRIDGE_CIDR, "10.77.0.1/30"));
    fx.createAndWait("one", "\"no_start\": true");
    assertThatThrownBy(() -> fx.create("one", ""))
        .isInstanceOfSatisfying(
            HearthException.class,
            e -> {
              assertThat(e.kind().wireName()).isEqualTo("conflict");
              assertThat(e.getMessage()).contains("'one' already exists");
            });
    assertThatThrownBy(() -> fx.create("two", ""))
        .isInstanceOfSatisfying(
            HearthException.class,
            e -> {
              assertThat(e.kind().wireName()).isEqualTo("precondition_failed");
              assertThat(e.getMessage()).contains("no free guest address");
            });
    assertThat(fx.call("op.list", "{}").path("ops")).hasSize(1);
    assertThat(fx.call("vm.list", "{}").path("vms"))
        .extracting(v -> v.path("name").asText())
        .containsExactly("one");
    assertThat(fx.network.listTaps()).containsExactly("ftap0");
  }

  @Test
  void aTapThatCannotBeCreatedFreesTheReservation() throws Exception {
    start(VmFixture.config(dir));
    fx.network.failTapCreation(true);
    assertThatThrownBy(() -> fx.create("demo", ""))
        .isInstanceOfSatisfying(
            HearthException.class,
            e -> {
              assertThat(e.kind().wireName()).isEqualTo("host_error");
              assertThat(e.getMessage()).contains("could not create TAP ftap0");
            });
    assertThat(fx.call("vm.list", "{}").path("vms")).isEmpty();
    fx.network.failTapCreation(false);
    assertThat(fx.createAndWait("demo", "\"no_start\": true").path("state").asText())
        .isEqualTo("succeeded");
  }

  @Test
  void rootfsFailure() throws Exception {
    start(VmFixture.config(dir));
    // Not an ext4 filesystem: growing it fails at the filesystem check.
    JsonNode op = fx.createAndWait("demo", "\"disk_size\": \"64M\"");
    assertFailedAt(op, "rootfs", "check the filesystem");
  }

  @Test
  void identityFailure() throws Exception {
    start(VmFixture.config(dir));
    fx.guest.failIdentityOf("demo");
    assertFailedAt(fx.createAndWait("demo", ""), "identity", "injected failure");
  }

  @Test
  void bootFailureWhenFirecrackerExitsAtOnce() throws Exception {
    Path broken = dir.resolve("bin").resolve("broken-firecracker");
    Files.createDirectories(broken.getParent());
    Files.writeString(broken, "#!/bin/sh\necho 'no KVM here' >&2\nexit 3\n");
    Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwxr-xr-x"));
    start(VmFixture.config(dir).with(ConfigKey.FIRECRACKER_BIN, broken.toString()));
    assertFailedAt(fx.createAndWait("demo", ""), "boot", "exited with code 3");
  }

  @Test
  void bootFailureWhenTheApiRefusesARequest() throws Exception {
    start(VmFixture.config(dir));
    Path kernel = fx.layout.imageDir(VmFixture.IMAGE).resolve("vmlinux");
    // The kernel vanishes between the identity and boot stages: PUT /boot-source gets a 400.
    fx.guest.onIdentity(
        () -> {
          try {
            Files.delete(kernel);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
    JsonNode op = fx.createAndWait("demo", "");
    assertFailedAt(op, "boot", "firecracker refused PUT /boot-source");
    assertThat(op.path("error").path("message").asText()).contains("Cannot open kernel image");
  }

  @Test
  void waitSshTimeout() throws Exception {
    start(VmFixture.config(dir));
    fx.guest.failSshOf("10.77.0.2");
    assertFailedAt(
        fx.createAndWait("demo", ""), "wait-ssh", "no SSH answer from root@10.77.0.2:22 after");
  }

  @Test
  void cancelDuringWaitSshUndoesEverything() throws Exception {
    start(VmFixture.config(dir));
    Path hold = dir.resolve("hold-ssh");
    Files.createFile(hold);
    JsonNode created = fx.create("demo", "");
    String opId = created.path("op").path("id").asText();
    Await.until(
        "the create to reach wait-ssh",
        () ->
            fx.call("op.show", "{\"op\": \"" + opId + "\"}")
                .path("stage")
                .asText()
                .equals("wait-ssh"));
    long pid = fx.call("vm.show", "{\"vm\": \"demo\"}").path("pid").asLong();
    assertThat(VmAssertions.alive(pid)).isTrue();
    assertThatThrownBy(() -> fx.call("vm.delete", "{\"vm\": \"demo\", \"force\": true}"))
        .isInstanceOfSatisfying(
            HearthException.class, e -> assertThat(e.kind().wireName()).isEqualTo("conflict"));
    fx.call("op.cancel", "{\"op\": \"" + opId + "\"}");
    List<JsonNode> seen = fx.watch(opId);
    assertThat(seen.get(seen.size() - 1).path("state").asText()).isEqualTo("cancelled");
    VmAssertions.nothingLeft(fx, created.path("vm").path("id").asText(), pid);
    Files.delete(hold);
  }

  @Test
  void cancelRightAfterTheVmmIsSpawnedKillsItAndUndoesEverything() throws Exception {
    // The boot is held between the spawn and the VM's record of its process: the cancel's
    // interrupt lands there, where only the boot knows the process.
    CountDownLatch held = new CountDownLatch(1);
    fx = new VmFixture(dir, VmFixture.config(dir));
    fx.start(
        fx.seams()
            .withStageBarrier(
                point -> {
                  if (point.equals("create.boot.spawned")) {
                    held.countDown();
                    Thread.sleep(Duration.ofMinutes(5).toMillis());
                  }
                }));
    JsonNode created = fx.create("demo", "");
    String opId = created.path("op").path("id").asText();
    Await.latch(held, Duration.ofSeconds(60), "the boot to be held after the spawn");
    assertThat(VmAssertions.fakeProcessesOf(fx)).as("the spawned VMM").isNotEmpty();

    fx.call("op.cancel", "{\"op\": \"" + opId + "\"}");
    List<JsonNode> seen = fx.watch(opId);
    assertThat(seen.get(seen.size() - 1).path("state").asText()).isEqualTo("cancelled");
    assertThat(fx.call("vm.list", "{}").path("vms")).isEmpty();
    assertThat(fx.network.listTaps()).isEmpty();
    VmAssertions.assertNoFakeProcesses(fx);
  }

  /** The op failed at {@code stage} with a reason containing {@code reason}; nothing is left. */
  private void assertFailedAt(JsonNode op, String stage, String reason) throws Exception {
    assertThat(op.path("state").asText()).isEqualTo("failed");
    assertThat(op.path("error").path("stage").asText()).isEqualTo(stage);
    assertThat(op.path("error").path("message").asText()).contains(reason);
    String id =
        fx.call("op.show", "{\"op\": \"" + op.path("id").asText() + "\"}").path("id").asText();
    assertThat(id).isEqualTo(op.path("id").asText());
    assertThat(fx.call("vm.list", "{}").path("vms")).isEmpty();
    assertThat(fx.network.listTaps()).isEmpty();
    assertThat(VmAssertions.children(fx.layout.vmsDir())).isEmpty();
    assertThat(VmAssertions.children(fx.layout.vmSocketsDir()))
        .noneMatch(p -> p.toString().endsWith(".sock"));
    VmAssertions.assertNoFakeProcesses(fx);
  }
}
