package dev.hearth.fcproc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import dev.hearth.core.testing.Await;
import dev.hearth.fcproc.server.FirecrackerSpec;
import dev.hearth.fcproc.testing.FakeFirecracker;
import dev.hearth.fcproc.testing.RecordedRequest;
import dev.hearth.fcproc.testing.ReferenceSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against the fake firecracker, in-process, over a real Unix socket. */
class FirecrackerClientTest {
  static final FirecrackerSpec SPEC = ReferenceSpec.load();

  @TempDir Path dir;
  Path socket;
  Path kernel;
  Path rootfs;
  ByteArrayOutputStream console = new ByteArrayOutputStream();
  CountDownLatch shutDown = new CountDownLatch(1);
  FakeFirecracker fake;
  FirecrackerClient client;

  @BeforeEach
  void startFake() throws Exception {
    socket = dir.resolve("api.sock");
    kernel = Files.writeString(dir.resolve("vmlinux"), "kernel");
    rootfs = Files.writeString(dir.resolve("rootfs.ext4"), "disk");
    fake =
        new FakeFirecracker(
            SPEC,
            socket,
            "vm-1",
            new PrintStream(console, true, StandardCharsets.UTF_8),
            0,
            shutDown::countDown);
    fake.start();
    client = new FirecrackerClient(socket, Duration.ofSeconds(5));
  }

  @AfterEach
  void stopFake() {
    fake.close();
  }

  @Test
  void configuresBootsAndShutsDownAGuest() throws Exception {
    Path log = Files.createFile(dir.resolve("fc.log"));
    Path metrics = Files.createFile(dir.resolve("fc.metrics"));
    assertThat(client.version()).isEqualTo("1.16.1");
    assertThat(client.describeInstance())
        .isEqualTo(new InstanceInfo("Firecracker", "vm-1", InstanceState.NOT_STARTED, "1.16.1"));

    client.putLogger(new LoggerConfig(log, LogLevel.INFO));
    client.putMetrics(new MetricsConfig(metrics));
    client.putMachineConfig(new MachineConfig(2, 512));
    client.putBootSource(new BootSource(kernel, "console=ttyS0 reboot=k panic=1"));
    client.putDrive(new Drive("rootfs", rootfs, true, false));
    client.putNetworkInterface(new NetworkInterface("eth0", "hearth-tap0", "06:00:0a:4d:00:02"));
    client.instanceStart();
    assertThat(client.describeInstance().state()).isEqualTo(InstanceState.RUNNING);
    client.pause();
    assertThat(client.describeInstance().state()).isEqualTo(InstanceState.PAUSED);
    client.resume();
    assertThat(console.toString(StandardCharsets.UTF_8)).contains(FakeFirecracker.BOOT_LINE);

    client.sendCtrlAltDel();
    Await.latch(shutDown, "the fake to shut down after SendCtrlAltDel");
    assertThat(socket).doesNotExist();

    assertThat(RecordedRequest.readAll(socket))
        .extracting(RecordedRequest::endpoint)
        .containsExactly(
            "GET /version",
            "GET /",
            "PUT /logger",
            "PUT /metrics",
            "PUT /machine-config",
            "PUT /boot-source",
            "PUT /drives/rootfs",
            "PUT /network-interfaces/eth0",
            "PUT /actions",
            "GET /",
            "PATCH /vm",
            "GET /",
            "PATCH /vm",
            "PUT /actions");
    RecordedRequest drive = RecordedRequest.readAll(socket).get(6);
    assertThat(drive.body().toString())
        .isEqualTo(
            "{\"drive_id\":\"rootfs\",\"path_on_host\":\""
                + rootfs
                + "\",\"is_root_device\":true,\"is_read_only\":false}");
    assertThat(RecordedRequest.readAll(socket))
        .allMatch(r -> r.status() == 200 || r.status() == 204);
  }

  @Test
  void anUnknownFieldIsAnApiExceptionWithEndpointBodyAndFault() {
    String body = "{\"vcpu_count\":2,\"mem_size_mib\":512,\"cpu_count\":2}";
    assertThatThrownBy(() -> client.send("PUT", "/machine-config", body))
        .asInstanceOf(type(FirecrackerApiException.class))
        .satisfies(
            e -> {
              assertThat(e.method()).isEqualTo("PUT");
              assertThat(e.path()).isEqualTo("/machine-config");
              assertThat(e.requestBody()).isEqualTo(body);
              assertThat(e.faultMessage()).contains("unknown field `cpu_count`");
              assertThat(e.getMessage())
                  .contains("PUT /machine-config", body, "unknown field `cpu_count`");
            });
  }

  @Test
  void preBootResourcesAreRefusedAfterStart() {
    client.putBootSource(new BootSource(kernel, Optional.empty(), Optional.empty()));
    client.instanceStart();
    assertThatThrownBy(() -> client.putDrive(new Drive("data", rootfs, false, true)))
        .isInstanceOf(FirecrackerApiException.class)
        .hasMessageContaining("PUT /drives/data")
        .hasMessageContaining("not supported after starting the microVM");
    assertThatThrownBy(() -> client.putMachineConfig(new MachineConfig(1, 128)))
        .isInstanceOf(FirecrackerApiException.class);
    assertThatThrownBy(client::instanceStart).isInstanceOf(FirecrackerApiException.class);
  }

  @Test
  void startWithoutABootSourceAndMissingFilesAreRefused() {
    assertThatThrownBy(client::instanceStart)
        .isInstanceOf(FirecrackerApiException.class)
        .hasMessageContaining("without kernel configuration");
    assertThatThrownBy(() -> client.putDrive(new Drive("rootfs", dir.resolve("nope"), true, false)))
        .isInstanceOf(FirecrackerApiException.class)
        .hasMessageContaining(dir.resolve("nope").toString());
    assertThatThrownBy(client::sendCtrlAltDel)
        .isInstanceOf(FirecrackerApiException.class)
        .hasMessageContaining("before starting the microVM");
  }

  @Test
  void aPathIdThatDiffersFromTheBodyIsRefused() {
    assertThatThrownBy(
            () ->
                client.send(
                    "PUT",
                    "/network-interfaces/eth0",
                    "{\"iface_id\":\"eth1\",\"host_dev_name\":\"tap0\"}"))
        .isInstanceOf(FirecrackerApiException.class)
        .hasMessageContaining("does not match");
  }

  @Test
  void noListenerIsAConnectionExceptionNamingTheSocket() {
    Path nowhere = dir.resolve("nobody.sock");
    FirecrackerClient lost = new FirecrackerClient(nowhere, Duration.ofSeconds(1));
    assertThat(lost.isAccepting()).isFalse();
    assertThatThrownBy(lost::describeInstance)
        .isInstanceOf(FirecrackerConnectionException.class)
        .hasMessageContaining(nowhere.toString())
        .hasMessageContaining("GET /");
  }
}
