package dev.hearth.fcproc.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.fcproc.internal.HttpResponse;
import dev.hearth.fcproc.server.FirecrackerSpec;
import dev.hearth.fcproc.testing.ReferenceSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every request the client can send, with every optional field present and with all of them absent,
 * is valid against Firecracker's own spec (the validator the fake firecracker uses).
 */
class FirecrackerContractTest {
  static final FirecrackerSpec SPEC = ReferenceSpec.load();

  record Sent(String method, String path, String body) {}

  /** Records requests and answers as Firecracker would for a well-formed one. */
  static final class RecordingTransport implements ApiTransport {
    final List<Sent> sent = new ArrayList<>();

    @Override
    public HttpResponse exchange(String method, String path, String body) {
      sent.add(new Sent(method, path, body));
      if (path.equals("/version")) {
        return new HttpResponse(200, "{\"firecracker_version\":\"1.16.1\"}");
      }
      if (method.equals("GET")) {
        return new HttpResponse(
            200,
            "{\"app_name\":\"Firecracker\",\"id\":\"x\",\"state\":\"Running\","
                + "\"vmm_version\":\"1.16.1\"}");
      }
      return new HttpResponse(204, "");
    }

    @Override
    public boolean accepts() {
      return true;
    }
  }

  @Test
  void everyRequestTheClientSendsValidatesAgainstTheSpec() {
    RecordingTransport transport = new RecordingTransport();
    FirecrackerClient client = new FirecrackerClient(Path.of("/run/test.sock"), transport);
    Path file = Path.of("/var/lib/hearth/vms/0123/file");

    client.describeInstance();
    client.version();
    client.putMachineConfig(new MachineConfig(1, 128));
    client.putMachineConfig(new MachineConfig(32, 4096, Optional.of(true), Optional.of(false)));
    client.putBootSource(new BootSource(file, Optional.empty(), Optional.empty()));
    client.putBootSource(new BootSource(file, Optional.of("console=ttyS0"), Optional.of(file)));
    client.putDrive(new Drive("rootfs", file, true, false));
    client.putDrive(new Drive("data_1", file, false, true));
    client.putDrive(
        new Drive(
            "data_2",
            file,
            false,
            false,
            Optional.of(
                new RateLimiter(
                    Optional.of(new TokenBucket(1 << 20, 100, OptionalLong.of(1 << 22))),
                    Optional.of(TokenBucket.perSecond(500))))));
    client.putNetworkInterface(
        new NetworkInterface(
            "eth1",
            "hearth-tap1",
            Optional.empty(),
            RateLimiter.perSecond(1 << 20, 0),
            RateLimiter.perSecond(0, 1000)));
    client.putNetworkInterface(new NetworkInterface("eth0", "hearth-tap0", Optional.empty()));
    client.putNetworkInterface(new NetworkInterface("eth0", "hearth-tap0", "06:00:0a:4d:00:02"));
    client.putLogger(new LoggerConfig(file, Optional.empty(), Optional.empty(), Optional.empty()));
    for (LogLevel level : LogLevel.values()) {
      client.putLogger(
          new LoggerConfig(file, Optional.of(level), Optional.of(true), Optional.of(false)));
    }
    client.putMetrics(new MetricsConfig(file));
    client.instanceStart();
    client.sendCtrlAltDel();
    client.pause();
    client.resume();

    for (Sent s : transport.sent) {
      assertThat(SPEC.validate(s.method(), s.path(), s.body()))
          .as("%s %s %s", s.method(), s.path(), s.body())
          .isEmpty();
    }
    Set<String> endpoints =
        transport.sent.stream()
            .map(s -> SPEC.endpoint(s.method(), s.path()).orElseThrow())
            .map(e -> e.method() + " " + e.template())
            .collect(Collectors.toSet());
    assertThat(endpoints)
        .containsExactlyInAnyOrder(
            "GET /",
            "GET /version",
            "PUT /machine-config",
            "PUT /boot-source",
            "PUT /drives/{drive_id}",
            "PUT /network-interfaces/{iface_id}",
            "PUT /logger",
            "PUT /metrics",
            "PUT /actions",
            "PATCH /vm");
  }

  @Test
  void absentOptionalFieldsAreLeftOutNotSentAsNull() {
    assertThat(
            RequestBodies.bootSource(
                new BootSource(Path.of("/k"), Optional.empty(), Optional.empty())))
        .isEqualTo("{\"kernel_image_path\":\"/k\"}");
    assertThat(RequestBodies.machineConfig(new MachineConfig(2, 256)))
        .isEqualTo("{\"vcpu_count\":2,\"mem_size_mib\":256}");
    assertThat(
            RequestBodies.networkInterface(new NetworkInterface("eth0", "tap0", Optional.empty())))
        .isEqualTo("{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\"}");
    assertThat(RequestBodies.drive(new Drive("rootfs", Path.of("/d"), true, false)))
        .doesNotContain("rate_limiter");
    assertThat(
            RequestBodies.drive(
                new Drive("rootfs", Path.of("/d"), true, false, RateLimiter.perSecond(0, 10))))
        .endsWith("\"rate_limiter\":{\"ops\":{\"size\":10,\"refill_time\":1000}}}");
  }

  @Test
  void theValidatorCatchesABodyTheSpecDoesNotAllow() {
    // Guards the contract test itself: a validator that accepts everything would pass it.
    assertThat(
            SPEC.validate(
                "PUT",
                "/drives/rootfs",
                "{\"drive_id\":\"rootfs\",\"path_on_host\":\"/x\",\"is_root_device\":true,"
                    + "\"is_read_only\":false,\"readonly\":true}"))
        .isPresent();
  }
}
