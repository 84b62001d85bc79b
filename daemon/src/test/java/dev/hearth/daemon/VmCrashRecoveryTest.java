package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.CheckOutcome;
import dev.hearth.core.Layout;
import dev.hearth.core.LinuxHostProbe;
import dev.hearth.core.Posix;
import dev.hearth.core.StateChecks;
import dev.hearth.core.testing.Await;
import dev.hearth.daemon.internal.api.HearthClient;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILLs a daemon (in a child JVM) in the middle of a create and while VMs run, then starts it
 * again: running VMs are re-adopted, a VM whose process died is stopped, the half-made VM is
 * removed with everything it had, and leaked TAPs, folders and sockets are gone.
 */
class VmCrashRecoveryTest {
  @TempDir Path dir;
  private Process daemon;
  private HearthClient client;
  private VmFixture fx;

  @AfterEach
  void cleanUp() throws Exception {
    if (client != null) {
      client.close();
    }
    if (daemon != null) {
      Await.exit(daemon.destroyForcibly(), Await.DEFAULT, "the SIGKILLed test daemon");
    }
    if (fx != null) {
      VmAssertions.killLeftoverFakes(fx);
    }
  }

  @Test
  void aSigkilledDaemonRestartsConsistentAndLeakFree() throws Exception {
    // The fixture writes the fake firecracker and the image; the daemon runs in the child JVM.
    fx = new VmFixture(dir);
    Layout layout = fx.layout;
    startChild();
    JsonNode alive = createAndWait("alive");
    JsonNode dies = createAndWait("dies");

    Path hold = dir.resolve("hold-ssh");
    Files.createFile(hold);
    JsonNode midway =
        VmFixture.parse(
            Rpc.call(client, "vm.create", "{\"name\": \"midway\", \"image\": \"base\"}"));
    String midwayOp = midway.path("op").path("id").asText();
    String midwayId = midway.path("vm").path("id").asText();
    Await.until(
        "the create of midway to reach wait-ssh",
        () ->
            VmFixture.parse(Rpc.call(client, "op.show", "{\"op\": \"" + midwayOp + "\"}"))
                .path("stage")
                .asText()
                .equals("wait-ssh"));
    long midwayPid = show("midway").path("pid").asLong();
    assertThat(VmAssertions.alive(midwayPid)).isTrue();

    client.close();
    client = null;
    Await.exit(daemon.destroyForcibly(), Await.DEFAULT, "the SIGKILLed test daemon"); // SIGKILL
    Files.delete(hold);

    long alivePid = alive.path("pid").asLong();
    long diesPid = dies.path("pid").asLong();
    assertThat(VmAssertions.alive(alivePid)).isTrue();
    ProcessHandle.of(diesPid).ifPresent(ProcessHandle::destroyForcibly);
    Await.until("the killed fake of dies to go", () -> !VmAssertions.alive(diesPid));
    // Leftovers a crash could leave: a TAP, a VM folder and an API socket of no VM.
    fx.network.createTap("ftap9");
    Files.createDirectories(layout.vmDir("abcdef0123456789"));
    Files.writeString(layout.vmSocketsDir().resolve("abcdef0123456789.sock"), "");

    startChild();
    JsonNode readopted = show("alive");
    assertThat(readopted.path("state").asText()).isEqualTo("running");
    assertThat(readopted.path("pid").asLong()).isEqualTo(alivePid);
    JsonNode stopped = show("dies");
    assertThat(stopped.path("state").asText()).isEqualTo("stopped");
    assertThat(stopped.has("pid")).isFalse();

    JsonNode vms = VmFixture.parse(Rpc.call(client, "vm.list", "{}")).path("vms");
    assertThat(vms).extracting(v -> v.path("name").asText()).containsExactly("alive", "dies");
    assertThat(VmAssertions.alive(midwayPid)).isFalse();
    assertThat(layout.vmDir(midwayId)).doesNotExist();
    assertThat(layout.vmApiSocket(midwayId)).doesNotExist();
    assertThat(fx.network.listTaps())
        .containsExactlyInAnyOrder(alive.path("tap").asText(), dies.path("tap").asText());
    // The folder no row lists is moved aside, not deleted.
    assertThat(layout.vmDir("abcdef0123456789")).doesNotExist();
    assertThat(quarantined(layout, "vm-abcdef0123456789")).isDirectory();
    assertThat(layout.vmSocketsDir().resolve("abcdef0123456789.sock")).doesNotExist();
    assertThat(layout.vmApiSocket(alive.path("id").asText())).exists();
    JsonNode op = VmFixture.parse(Rpc.call(client, "op.show", "{\"op\": \"" + midwayOp + "\"}"));
    assertThat(op.path("state").asText()).isEqualTo("failed");
    assertThat(op.path("error").path("stage").asText()).isEqualTo("wait-ssh");
    assertThat(op.path("error").path("message").asText()).contains("interrupted by daemon restart");

    // The re-adopted VM is fully usable: it stops gracefully, and the address is free again.
    assertThat(
            VmFixture.parse(Rpc.call(client, "vm.stop", "{\"vm\": \"alive\"}"))
                .path("state")
                .asText())
        .isEqualTo("stopped");
    assertThat(VmAssertions.alive(alivePid)).isFalse();
    JsonNode again = createAndWait("midway");
    assertThat(again.path("ip").asText()).isEqualTo(midway.path("vm").path("ip").asText());
    for (String name : List.of("alive", "dies", "midway")) {
      Rpc.call(client, "vm.delete", "{\"vm\": \"" + name + "\", \"force\": true}");
    }
    assertThat(fx.network.listTaps()).isEmpty();
    VmAssertions.assertNoFakeProcesses(fx);
  }

  @Test
  void aDaemonKilledDuringACopyDiskCreateLosesNothingAndQuarantinesWhatNoRowLists()
      throws Exception {
    fx = new VmFixture(dir);
    Layout layout = fx.layout;
    startChild();
    JsonNode kept = createAndWait("kept");
    Path keptDisk = layout.vmDir(kept.path("id").asText()).resolve("rootfs.ext4");
    try (RandomAccessFile disk = new RandomAccessFile(keptDisk.toFile(), "rw")) {
      disk.write("what the guest of kept wrote".getBytes(StandardCharsets.UTF_8));
    }
    byte[] keptBytes = Files.readAllBytes(keptDisk);
    killChild();

    // The next daemon is held at the sync of the copy it makes for midway, and SIGKILLed there:
    // the copy is complete under its in-progress name, the row says creating and names no disk.
    Files.writeString(dir.resolve("hold-sync"), "rootfs.ext4.partial");
    startChild();
    JsonNode midway =
        VmFixture.parse(
            Rpc.call(client, "vm.create", "{\"name\": \"midway\", \"image\": \"base\"}"));
    String midwayOp = midway.path("op").path("id").asText();
    String midwayId = midway.path("vm").path("id").asText();
    Await.until("the create of midway to reach its disk sync", () -> daemonHeldAtSync());
    assertThat(layout.vmDir(midwayId).resolve("rootfs.ext4.partial")).isRegularFile();
    killChild();
    Files.delete(dir.resolve("hold-sync"));
    // What a database that lost a row would leave: a VM folder with a finished disk, no row.
    Path orphan = Files.createDirectories(layout.vmDir("0123456789abcdef"));
    Files.writeString(orphan.resolve("rootfs.ext4"), "the orphan's data");
    Files.writeString(orphan.resolve("console.log"), "boot log\n");

    startChild();
    JsonNode vms = VmFixture.parse(Rpc.call(client, "vm.list", "{}")).path("vms");
    assertThat(vms).extracting(v -> v.path("name").asText()).containsExactly("kept");
    assertThat(show("kept").path("state").asText()).isEqualTo("running");
    assertThat(Files.readAllBytes(keptDisk)).isEqualTo(keptBytes);
    // midway's create never finished (the database knew it as creating): it is undone whole.
    assertThat(layout.vmDir(midwayId)).doesNotExist();
    JsonNode op = VmFixture.parse(Rpc.call(client, "op.show", "{\"op\": \"" + midwayOp + "\"}"));
    assertThat(op.path("state").asText()).isEqualTo("failed");
    assertThat(op.path("error").path("stage").asText()).isEqualTo("rootfs");
    // The folder no row lists is quarantined with everything in it, and doctor names it.
    assertThat(orphan).doesNotExist();
    Path moved = quarantined(layout, "vm-0123456789abcdef");
    assertThat(moved.resolve("rootfs.ext4")).hasContent("the orphan's data");
    assertThat(moved.resolve("console.log")).hasContent("boot log\n");
    CheckOutcome doctor =
        new StateChecks(fx.config, Posix.system(), LinuxHostProbe.system()).quarantine();
    assertThat(doctor.status()).isEqualTo(CheckOutcome.Status.WARN);
    assertThat(doctor.detail()).contains(moved.getFileName().toString());
    assertThat(doctor.fix()).contains("rm -rf -- '" + moved + "'");

    // The survivor is fully usable, and the address midway had is free again.
    assertThat(createAndWait("midway").path("ip").asText())
        .isEqualTo(midway.path("vm").path("ip").asText());
    for (String name : List.of("kept", "midway")) {
      Rpc.call(client, "vm.delete", "{\"vm\": \"" + name + "\", \"force\": true}");
    }
    VmAssertions.assertNoFakeProcesses(fx);
  }

  private boolean daemonHeldAtSync() {
    if (!daemon.isAlive()) {
      throw new AssertionError("the test daemon exited with " + daemon.exitValue());
    }
    return Files.exists(dir.resolve("held-at"));
  }

  private void killChild() throws Exception {
    client.close();
    client = null;
    Await.exit(daemon.destroyForcibly(), Await.DEFAULT, "the SIGKILLed test daemon"); // SIGKILL
    daemon = null;
  }

  /** The one quarantine entry named {@code <time>-<label>}. */
  private static Path quarantined(Layout layout, String label) throws Exception {
    try (var entries = Files.list(layout.quarantineDir())) {
      List<Path> found =
          entries.filter(p -> p.getFileName().toString().endsWith("-" + label)).toList();
      assertThat(found).as("quarantine entries for %s", label).hasSize(1);
      return found.get(0);
    }
  }

  private JsonNode show(String name) {
    return VmFixture.parse(Rpc.call(client, "vm.show", "{\"vm\": \"" + name + "\"}"));
  }

  private JsonNode createAndWait(String name) {
    JsonNode created =
        VmFixture.parse(
            Rpc.call(client, "vm.create", "{\"name\": \"" + name + "\", \"image\": \"base\"}"));
    JsonNode last =
        VmFixture.parse(
            Rpc.call(
                client,
                "op.watch",
                "{\"op\": \"" + created.path("op").path("id").asText() + "\"}",
                (m, p) -> {}));
    assertThat(last.path("state").asText()).as("create of %s", name).isEqualTo("succeeded");
    return show(name);
  }

  private void startChild() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    daemon =
        new ProcessBuilder(
                java.toString(),
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                VmTestDaemonMain.class.getName(),
                dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("daemon.log").toFile()))
            .start();
    client =
        Await.value(
            "the test daemon to answer on " + fx.layout.socket(),
            () -> {
              if (!daemon.isAlive()) {
                throw new AssertionError(
                    "the test daemon exited with "
                        + daemon.exitValue()
                        + ": "
                        + Files.readString(dir.resolve("daemon.log")));
              }
              try {
                return Optional.of(HearthClient.connect(fx.layout.socket()));
              } catch (DaemonUnavailableException e) {
                return Optional.empty();
              }
            });
  }
}
