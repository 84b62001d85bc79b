package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.testing.Await;
import dev.hearth.daemon.internal.api.HearthClient;
import dev.hearth.fcproc.testing.FakeFirecracker;
import dev.hearth.fcproc.testing.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vm.create through every stage on the fake firecracker, then stop, start, kill, logs, delete. */
class VmLifecycleTest {
  @TempDir Path dir;
  VmFixture fx;

  @BeforeEach
  void start() {
    fx = new VmFixture(dir).start();
  }

  @AfterEach
  void stop() throws Exception {
    fx.close();
    VmAssertions.killLeftoverFakes(fx);
  }

  @Test
  void createGoesThroughEveryStageAndTheVmRunsWithItsAddress() throws Exception {
    JsonNode created = fx.create("demo", "\"vcpus\": 1, \"memory_mib\": 256");
    JsonNode reserved = created.path("vm");
    assertThat(reserved.path("state").asText()).isEqualTo("creating");
    assertThat(reserved.path("ip").asText()).isEqualTo("10.77.0.2");
    assertThat(reserved.path("mac").asText()).isEqualTo("06:00:0a:4d:00:02");
    assertThat(reserved.path("tap").asText()).isEqualTo("ftap0");
    assertThat(created.path("op").path("kind").asText()).isEqualTo("vm.create");

    List<JsonNode> seen = fx.watch(created.path("op").path("id").asText());
    JsonNode last = seen.get(seen.size() - 1);
    assertThat(last.path("state").asText()).isEqualTo("succeeded");
    assertThat(last.path("result").asText()).isEqualTo(reserved.path("id").asText());
    // The watch may start after the first stages are over; the op's log records each of them.
    assertThat(last.path("stage").asText()).isEqualTo("ready");
    List<String> log = new ArrayList<>();
    last.path("log").forEach(line -> log.add(line.asText()));
    assertThat(log)
        .satisfiesExactly(
            reserve -> assertThat(reserve).startsWith("reserved 10.77.0.2 (06:00:0a:4d:00:02)"),
            rootfs -> assertThat(rootfs).startsWith("root disk "),
            identity -> assertThat(identity).startsWith("identity written: hostname demo"),
            vmm -> assertThat(vmm).startsWith("VMM: firecracker_bin = ").contains("used as is"),
            boot -> assertThat(boot).startsWith("firecracker pid ").endsWith("booted the guest"),
            ssh -> assertThat(ssh).isEqualTo("SSH answers at 10.77.0.2:22"),
            ready -> assertThat(ready).isEqualTo("VM demo is running at 10.77.0.2"));

    JsonNode vm = fx.call("vm.show", "{\"vm\": \"demo\"}");
    assertThat(vm.path("state").asText()).isEqualTo("running");
    assertThat(vm.path("ip").asText()).isEqualTo("10.77.0.2");
    assertThat(vm.path("pid").asInt()).isPositive();
    assertThat(vm.path("vmm").asText()).isEqualTo("firecracker");
    assertThat(vm.path("boot_args").asText())
        .isEqualTo(
            "console=ttyS0 reboot=k panic=1 pci=off"
                + " ip=10.77.0.2::10.77.0.1:255.255.255.0:demo:eth0:off");
    assertThat(VmAssertions.alive(vm.path("pid").asLong())).isTrue();

    Path socket = Path.of(vm.path("api_socket").asText());
    Map<String, JsonNode> requests =
        RecordedRequest.readAll(socket).stream()
            .filter(r -> r.status() == 204)
            .collect(
                Collectors.toMap(RecordedRequest::endpoint, RecordedRequest::body, (a, b) -> b));
    assertThat(requests.get("PUT /boot-source").path("boot_args").asText())
        .isEqualTo(vm.path("boot_args").asText())
        .contains("ip=10.77.0.2::10.77.0.1:255.255.255.0:demo:eth0:off");
    JsonNode nic = requests.get("PUT /network-interfaces/eth0");
    assertThat(nic.path("host_dev_name").asText()).isEqualTo("ftap0");
    assertThat(nic.path("guest_mac").asText()).isEqualTo("06:00:0a:4d:00:02");
    JsonNode drive = requests.get("PUT /drives/rootfs");
    assertThat(drive.path("path_on_host").asText()).isEqualTo(vm.path("root_disk").asText());
    assertThat(drive.path("is_root_device").asBoolean()).isTrue();
    assertThat(requests.get("PUT /machine-config").path("vcpu_count").asInt()).isEqualTo(1);
    assertThat(requests.get("PUT /machine-config").path("mem_size_mib").asInt()).isEqualTo(256);
    assertThat(requests.get("PUT /actions").path("action_type").asText())
        .isEqualTo("InstanceStart");
    assertThat(fx.network.listTaps()).containsExactly("ftap0");
    assertThat(fx.guest.identities())
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.hostname()).isEqualTo("demo");
              assertThat(i.ipCidr()).isEqualTo("10.77.0.2/24");
              assertThat(i.gateway()).isEqualTo("10.77.0.1");
            });
  }

  @Test
  void stopStartKillAndDeleteLeaveNothingBehind() throws Exception {
    assertThat(fx.createAndWait("demo", "").path("state").asText()).isEqualTo("succeeded");
    JsonNode running = fx.call("vm.show", "{\"vm\": \"demo\"}");
    String id = running.path("id").asText();
    long firstPid = running.path("pid").asLong();

    JsonNode stopped = fx.call("vm.stop", "{\"vm\": \"demo\"}");
    assertThat(stopped.path("state").asText()).isEqualTo("stopped");
    assertThat(stopped.has("pid")).isFalse();
    assertThat(VmAssertions.alive(firstPid)).isFalse();
    assertThat(fx.layout.vmApiSocket(id)).doesNotExist();
    // The fake shut down on SendCtrlAltDel, as a guest does: graceful, not killed.
    assertThat(RecordedRequest.readAll(fx.layout.vmApiSocket(id)))
        .extracting(r -> r.body() == null ? "" : r.body().path("action_type").asText())
        .contains("SendCtrlAltDel");

    JsonNode started = fx.call("vm.start", "{\"vm\": \"" + id.substring(0, 6) + "\"}");
    assertThat(started.path("state").asText()).isEqualTo("running");
    assertThat(started.path("ip").asText()).isEqualTo(running.path("ip").asText());
    assertThat(started.path("tap").asText()).isEqualTo(running.path("tap").asText());
    assertThat(started.path("pid").asLong()).isNotEqualTo(firstPid);
    assertThatThrownBy(() -> fx.call("vm.start", "{\"vm\": \"demo\"}"))
        .isInstanceOfSatisfying(
            HearthException.class, e -> assertThat(e.kind().wireName()).isEqualTo("conflict"));

    String log = logs("{\"vm\": \"demo\"}");
    assertThat(log).contains(FakeFirecracker.BOOT_LINE);
    assertThat(logs("{\"vm\": \"demo\", \"tail\": 1}").strip()).doesNotContain("\n");

    JsonNode killed = fx.call("vm.kill", "{\"vm\": \"demo\"}");
    assertThat(killed.path("state").asText()).isEqualTo("stopped");
    assertThat(VmAssertions.alive(started.path("pid").asLong())).isFalse();

    fx.call("vm.start", "{\"vm\": \"demo\"}");
    assertThatThrownBy(() -> fx.call("vm.delete", "{\"vm\": \"demo\"}"))
        .isInstanceOfSatisfying(
            HearthException.class,
            e -> {
              assertThat(e.kind().wireName()).isEqualTo("precondition_failed");
              assertThat(e.getMessage()).contains("--force");
            });
    long lastPid = fx.call("vm.show", "{\"vm\": \"demo\"}").path("pid").asLong();
    JsonNode deleted = fx.call("vm.delete", "{\"vm\": \"demo\", \"force\": true}");
    assertThat(deleted.path("deleted").asText()).isEqualTo(id);

    VmAssertions.nothingLeft(fx, id, lastPid);
    assertThatThrownBy(() -> fx.call("vm.show", "{\"vm\": \"demo\"}"))
        .isInstanceOfSatisfying(
            HearthException.class, e -> assertThat(e.kind().wireName()).isEqualTo("not_found"));
  }

  @Test
  void logsFollowStreamsUntilTheVmStops() throws Exception {
    fx.createAndWait("demo", "");
    List<String> chunks = new ArrayList<>();
    Thread stopper =
        new Thread(
            () -> {
              try (HearthClient other = HearthClient.connect(fx.layout.socket())) {
                Await.until(
                    "the first chunk of the followed log",
                    () -> {
                      synchronized (chunks) {
                        return !chunks.isEmpty();
                      }
                    });
                Rpc.call(other, "vm.stop", "{\"vm\": \"demo\"}");
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    stopper.start();
    String last =
        Rpc.call(
            fx.client(),
            "vm.logs",
            "{\"vm\": \"demo\", \"follow\": true}",
            (method, params) -> {
              assertThat(method).isEqualTo("vm.logs.data");
              synchronized (chunks) {
                chunks.add(decode(VmFixture.parse(params)));
              }
            });
    Await.join(stopper, Rpc.DEADLINE, "the stopper");
    assertThat(VmFixture.parse(last).path("data").asText()).isEmpty();
    assertThat(String.join("", chunks))
        .contains(FakeFirecracker.BOOT_LINE)
        .contains(FakeFirecracker.SHUTDOWN_LINE);
  }

  @Test
  void opListAndShowReportTheCreate() {
    JsonNode last = fx.createAndWait("demo", "\"no_start\": true");
    assertThat(last.path("state").asText()).isEqualTo("succeeded");
    String opId = last.path("id").asText();
    assertThat(
            fx.call("op.show", "{\"op\": \"" + opId.substring(0, 8) + "\"}")
                .path("target")
                .asText())
        .isEqualTo("demo");
    assertThat(fx.call("op.list", "{}").path("ops"))
        .extracting(o -> o.path("id").asText())
        .contains(opId);
    assertThat(fx.call("vm.show", "{\"vm\": \"demo\"}").path("state").asText())
        .isEqualTo("stopped");
    assertThatThrownBy(() -> fx.call("op.cancel", "{\"op\": \"" + opId + "\"}"))
        .isInstanceOfSatisfying(
            HearthException.class,
            e -> assertThat(e.kind().wireName()).isEqualTo("precondition_failed"));
    assertThatThrownBy(() -> fx.call("op.show", "{\"op\": \"ffffffffffffffff\"}"))
        .isInstanceOfSatisfying(
            HearthException.class, e -> assertThat(e.kind().wireName()).isEqualTo("not_found"));
  }

  @Test
  void badCreateParamsAreRefusedBeforeAnyOperation() {
    assertThatThrownBy(() -> fx.create("Bad_Name", ""))
        .isInstanceOfSatisfying(
            HearthException.class, e -> assertThat(e.wireCode()).hasValue(-32602));
    assertThatThrownBy(() -> fx.create("demo", "\"vcpus\": 0"))
        .isInstanceOfSatisfying(
            HearthException.class, e -> assertThat(e.wireCode()).hasValue(-32602));
    assertThatThrownBy(() -> fx.create("demo", "\"disk_size\": \"lots\""))
        .isInstanceOfSatisfying(
            HearthException.class, e -> assertThat(e.wireCode()).hasValue(-32602));
    assertThatThrownBy(() -> fx.create("demo", "\"colour\": \"red\""))
        .isInstanceOfSatisfying(
            HearthException.class, e -> assertThat(e.wireCode()).hasValue(-32602));
    assertThatThrownBy(
            () -> fx.call("vm.create", "{\"name\": \"demo\", \"image\": \"nosuchimage\"}"))
        .isInstanceOfSatisfying(
            HearthException.class,
            e -> {
              assertThat(e.kind().wireName()).isEqualTo("not_found");
              assertThat(e.getMessage())
                  .contains("nosuchimage")
                  .contains(fx.layout.imageDir("nosuchimage").toString());
            });
    assertThat(fx.call("op.list", "{}").path("ops")).isEmpty();
    assertThat(fx.call("vm.list", "{}").path("vms")).isEmpty();
  }

  private String logs(String params) {
    return decode(fx.call("vm.logs", params));
  }

  private static String decode(JsonNode data) {
    return new String(
        Base64.getDecoder().decode(data.path("data").asText()), StandardCharsets.UTF_8);
  }
}
