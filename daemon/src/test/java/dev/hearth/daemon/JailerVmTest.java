package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.fcproc.testing.FakeJailer;
import dev.hearth.fcproc.testing.RecordedRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole VM lifecycles through the stand-in jailer ({@link FakeJailer}, as {@code jailer_bin}): its
 * command line and the jail as Firecracker's jailer documentation wants them, the VM's files in the
 * jail owned by {@code vm_user} ({@code nobody} here), the API socket inside the jail across a
 * daemon restart, and nothing of the jail left after stop, delete or reconcile. Root: the jail's
 * files are given to another uid.
 */
@RequiresRoot
class JailerVmTest {
  static final int NOBODY = 65534;

  @TempDir Path dir;
  Path jails;
  Path records;
  VmFixture fx;

  @BeforeEach
  void start() throws IOException {
    jails = dir.resolve("jails");
    records = Files.createDirectories(dir.resolve("records"));
    Path jailer =
        FakeJailer.script(
            dir.resolve("bin/jailer"), Map.of(FakeJailer.RECORD_PROPERTY, records.toString()));
    fx =
        new VmFixture(
                dir,
                VmFixture.config(dir)
                    .with(ConfigKey.JAILER_BIN, jailer.toString())
                    .with(ConfigKey.JAILER_CHROOT_BASE, jails.toString())
                    .with(ConfigKey.VM_USER, "nobody"))
            .start();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      fx.close();
    } finally {
      jailedProcesses().forEach(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void createStopStartRestartAndDeleteRunThroughTheJailer() throws Exception {
    assertThat(
            fx.createAndWait("jailed", "\"vcpus\": 2, \"memory_mib\": 256").path("state").asText())
        .isEqualTo("succeeded");
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"jailed\"}");
    String id = vm.path("id").asText();
    long pid = vm.path("pid").asLong();
    Path jail = jails.resolve("firecracker").resolve(id);
    Path root = jail.resolve("root");
    Path disk = Path.of(vm.path("root_disk").asText());

    assertThat(vm.path("api_socket").asText())
        .isEqualTo(root.resolve("run/firecracker.socket").toString());
    assertThat(fx.layout.vmApiSocket(id)).doesNotExist();
    assertThat(commandLine(pid))
        .as("the jailer became firecracker in place: the pid hearth recorded")
        .contains(FakeJailer.class.getName());

    List<String> argv = Files.readAllLines(records.resolve(id + ".argv"));
    assertThat(argv)
        .containsSubsequence("--id", id)
        .containsSubsequence("--exec-file", dir.resolve("bin/firecracker").toString())
        .containsSubsequence("--uid", Integer.toString(NOBODY))
        .containsSubsequence("--gid", Integer.toString(NOBODY))
        .containsSubsequence("--chroot-base-dir", jails.toString())
        .endsWith("--", "--api-sock", "/run/firecracker.socket")
        .doesNotContain("--daemonize", "--new-pid-ns");
    if (argv.contains("--cgroup-version")) {
      long memory = (256L + 128) << 20;
      assertThat(argv)
          .containsAnyOf("memory.max=" + memory, "memory.limit_in_bytes=" + memory)
          .containsAnyOf("cpu.max=200000 100000", "cpu.cfs_quota_us=200000");
    }

    // The VM's files are in the jail; its own ones belong to vm_user, the image's stay root's.
    assertThat(Files.isSameFile(root.resolve("rootfs"), disk)).isTrue();
    assertThat(owner(root.resolve("rootfs"))).isEqualTo(NOBODY);
    // The VMM log and metrics: pipes in the jail for vm_user, read by the cappers (the daemon's
    // processes) into files of the VM's folder, which stay root's and within their cap.
    assertThat(owner(root.resolve("firecracker.log.fifo"))).isEqualTo(NOBODY);
    assertThat(owner(root.resolve("metrics.json.fifo"))).isEqualTo(NOBODY);
    Path vmDir = fx.layout.vmDir(id);
    Await.until(
        "the jailed VMM's first log and metrics lines reach the VM's folder",
        () ->
            Files.readString(vmDir.resolve("firecracker.log")).contains("log line 0")
                && Files.readString(vmDir.resolve("metrics.json")).contains("utc_timestamp_ms"));
    assertThat(owner(vmDir.resolve("firecracker.log"))).isEqualTo(0);
    assertThat(owner(vmDir.resolve("metrics.json"))).isEqualTo(0);
    assertThat(owner(root.resolve("run"))).isEqualTo(NOBODY);
    Path kernel = fx.layout.imageDir(VmFixture.IMAGE).resolve("vmlinux");
    assertThat(Files.isSameFile(root.resolve("vmlinux"), kernel)).isTrue();
    assertThat(owner(kernel)).isEqualTo(0);
    Map<String, JsonNode> requests =
        RecordedRequest.readAll(root.resolve("run/firecracker.socket")).stream()
            .filter(r -> r.status() == 204)
            .collect(
                Collectors.toMap(RecordedRequest::endpoint, RecordedRequest::body, (a, b) -> b));
    assertThat(requests.get("PUT /drives/rootfs").path("path_on_host").asText())
        .isEqualTo("/rootfs");
    assertThat(requests.get("PUT /boot-source").path("kernel_image_path").asText())
        .isEqualTo("/vmlinux");
    assertThat(requests.get("PUT /logger").path("log_path").asText())
        .isEqualTo("/firecracker.log.fifo");
    assertThat(requests.get("PUT /metrics").path("metrics_path").asText())
        .isEqualTo("/metrics.json.fifo");

    JsonNode stopped = fx.call("vm.stop", "{\"vm\": \"jailed\"}");
    assertThat(stopped.path("state").asText()).isEqualTo("stopped");
    assertThat(VmAssertions.alive(pid)).isFalse();
    assertThat(jail).doesNotExist();
    assertThat(owner(disk)).as("the disk is given back").isEqualTo(0);

    long started = fx.call("vm.start", "{\"vm\": \"jailed\"}").path("pid").asLong();
    assertThat(root.resolve("rootfs")).exists();
    fx.stopDaemon();
    fx.start();
    JsonNode adopted = fx.call("vm.show", "{\"vm\": \"jailed\"}");
    assertThat(adopted.path("state").asText()).isEqualTo("running");
    assertThat(adopted.path("pid").asLong()).isEqualTo(started);
    assertThat(adopted.path("api_socket").asText())
        .isEqualTo(root.resolve("run/firecracker.socket").toString());
    // Stopped gracefully through the jail's socket by a daemon that did not start it.
    assertThat(fx.call("vm.stop", "{\"vm\": \"jailed\"}").path("state").asText())
        .isEqualTo("stopped");
    assertThat(RecordedRequest.readAll(root.resolve("run/firecracker.socket")))
        .as("the jail went with the process")
        .isEmpty();
    assertThat(jail).doesNotExist();

    long last = fx.call("vm.start", "{\"vm\": \"jailed\"}").path("pid").asLong();
    fx.call("vm.delete", "{\"vm\": \"jailed\", \"force\": true}");
    assertThat(VmAssertions.alive(last)).isFalse();
    assertThat(jail).doesNotExist();
    assertThat(fx.layout.vmDir(id)).doesNotExist();
    assertThat(mountsUnder(jails)).isEmpty();
    Await.until("no jailed process is left", () -> jailedProcesses().isEmpty());
  }

  @Test
  void reconcileRemovesJailsWhoseVmmDiedAndJailsOfNoVm() throws Exception {
    fx.createAndWait("crashed", "");
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"crashed\"}");
    String id = vm.path("id").asText();
    Path disk = Path.of(vm.path("root_disk").asText());
    Path orphan = Files.createDirectories(jails.resolve("firecracker/0badc0de/root/run"));

    fx.stopDaemon();
    ProcessHandle.of(vm.path("pid").asLong()).orElseThrow().destroyForcibly();
    Await.until("the VMM is gone", () -> !VmAssertions.alive(vm.path("pid").asLong()));
    fx.start();

    assertThat(fx.call("vm.show", "{\"vm\": \"crashed\"}").path("state").asText())
        .isEqualTo("stopped");
    assertThat(jails.resolve("firecracker").resolve(id)).doesNotExist();
    assertThat(orphan).doesNotExist();
    assertThat(owner(disk)).isEqualTo(0);
  }

  @Test
  void aMissingVmUserFailsTheBootNamingItAndLeavesNoJail() throws Exception {
    fx.stopDaemon();
    fx =
        new VmFixture(
                dir,
                fx.config.with(
                    ConfigKey.VM_USER, "hearth-no-such-user-" + ProcessHandle.current().pid()))
            .start();
    JsonNode op = fx.createAndWait("nouser", "");
    assertThat(op.path("state").asText()).isEqualTo("failed");
    assertThat(op.path("error").toString()).contains("vm_user 'hearth-no-such-user-");
    assertThat(
            Files.exists(jails.resolve("firecracker"))
                ? VmAssertions.children(jails.resolve("firecracker"))
                : List.of())
        .isEmpty();
  }

  @Test
  void withoutAJailerFirecrackerStartsDirectlyAsBefore() throws Exception {
    fx.stopDaemon();
    Path state = dir.resolve("direct");
    fx = new VmFixture(state, VmFixture.config(state)).start();
    fx.createAndWait("direct", "");
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"direct\"}");
    String id = vm.path("id").asText();
    assertThat(vm.path("api_socket").asText()).isEqualTo(fx.layout.vmApiSocket(id).toString());
    assertThat(commandLine(vm.path("pid").asLong())).doesNotContain(FakeJailer.class.getName());
    assertThat(fx.config.jailerChrootBase()).doesNotExist();
    assertThat(owner(Path.of(vm.path("root_disk").asText()))).isEqualTo(0);
    fx.call("vm.delete", "{\"vm\": \"direct\", \"force\": true}");
  }

  static int owner(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }

  /** The processes started for this test's jails (the jailed fakes and their console writers). */
  List<ProcessHandle> jailedProcesses() {
    String marker = "--chroot-base-dir " + jails;
    return ProcessHandle.allProcesses().filter(p -> commandLine(p.pid()).contains(marker)).toList();
  }

  static String commandLine(long pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  static List<String> mountsUnder(Path folder) throws IOException {
    return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
        .filter(l -> l.contains(" " + folder + "/"))
        .toList();
  }
}
