package dev.hearth.fcproc.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.fcproc.client.Drive;
import dev.hearth.fcproc.client.LoggerConfig;
import dev.hearth.fcproc.client.NetworkInterface;
import dev.hearth.fcproc.client.RateLimiter;
import dev.hearth.fcproc.client.TokenBucket;
import dev.hearth.fcproc.internal.HttpCodec;
import dev.hearth.fcproc.internal.HttpResponse;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** What the shared server hands its backend, and how it answers for it. */
class FirecrackerApiServerTest {
  @TempDir Path dir;
  Path kernel;
  final List<String> events = new ArrayList<>();
  final List<String> answered = new ArrayList<>();
  VmSetup started;
  String refuseStartWith;
  FirecrackerApiServer server;

  final FirecrackerBackend backend =
      new FirecrackerBackend() {
        @Override
        public Optional<String> unsupported(String operation) {
          return operation.startsWith("PUT /snapshot")
              ? Optional.of("test backend does not support " + operation)
              : Optional.empty();
        }

        @Override
        public void loggerConfigured(LoggerConfig logger) {
          events.add("logger " + logger.logPath().getFileName());
        }

        @Override
        public void instanceStart(VmSetup setup) {
          if (refuseStartWith != null) {
            throw new FirecrackerBackendException(refuseStartWith);
          }
          started = setup;
        }

        @Override
        public Runnable sendCtrlAltDel() {
          events.add("ctrl-alt-del");
          return () -> events.add("after ctrl-alt-del answer");
        }

        @Override
        public void pause() {
          events.add("pause");
        }
      };

  @BeforeEach
  void open() throws Exception {
    kernel = Files.writeString(dir.resolve("vmlinux"), "k");
    server =
        new FirecrackerApiServer(
            FirecrackerSpec.bundled(),
            dir.resolve("api.sock"),
            "vm-9",
            backend,
            (method, path, body, status) -> answered.add(method + " " + path + " " + status));
  }

  @AfterEach
  void close() throws Exception {
    server.close();
  }

  ApiResponse call(String method, String path, String body) throws Exception {
    return server.handle(method, path, body);
  }

  String drive(String id, boolean root, boolean readOnly) throws Exception {
    Path file = Files.writeString(dir.resolve(id + ".img"), "d");
    return "{\"drive_id\":\""
        + id
        + "\",\"path_on_host\":\""
        + file
        + "\",\"is_root_device\":"
        + root
        + ",\"is_read_only\":"
        + readOnly
        + "}";
  }

  @Test
  void handsTheBackendTheConfigurationWithTheRootDriveFirst() throws Exception {
    Path log = Files.createFile(dir.resolve("fc.log"));
    assertThat(call("PUT", "/logger", "{\"log_path\":\"" + log + "\"}").status()).isEqualTo(204);
    assertThat(call("PUT", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":256}").status())
        .isEqualTo(204);
    // The spec's PATCH body is the whole MachineConfiguration (both sizes required).
    assertThat(call("PATCH", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":512}").status())
        .isEqualTo(204);
    assertThat(
            call(
                    "PUT",
                    "/boot-source",
                    "{\"kernel_image_path\":\"" + kernel + "\",\"boot_args\":\"console=ttyS0\"}")
                .status())
        .isEqualTo(204);
    assertThat(call("PUT", "/drives/data", drive("data", false, false)).status()).isEqualTo(204);
    assertThat(call("PUT", "/drives/rootfs", drive("rootfs", true, true)).status()).isEqualTo(204);
    assertThat(call("PUT", "/drives/other", drive("other", true, false)).body())
        .contains("A root block device already exists!");
    assertThat(
            call(
                    "PUT",
                    "/network-interfaces/eth0",
                    "{\"iface_id\":\"eth0\",\"host_dev_name\":\"htap1\","
                        + "\"guest_mac\":\"06:00:0a:00:00:02\"}")
                .status())
        .isEqualTo(204);

    assertThat(call("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}").status())
        .isEqualTo(204);

    assertThat(started.instanceId()).isEqualTo("vm-9");
    assertThat(started.machine().vcpuCount()).isEqualTo(2);
    assertThat(started.machine().memSizeMib()).isEqualTo(512);
    assertThat(started.bootSource().bootArgs()).hasValue("console=ttyS0");
    assertThat(started.drives()).extracting(Drive::driveId).containsExactly("rootfs", "data");
    assertThat(started.rootDrive().orElseThrow().isReadOnly()).isTrue();
    assertThat(started.networkInterfaces().get(0).guestMac()).hasValue("06:00:0a:00:00:02");
    assertThat(started.logger().orElseThrow().logPath()).isEqualTo(log);
    assertThat(events).containsExactly("logger fc.log");
    assertThat(call("PUT", "/drives/late", drive("late", false, false)).body())
        .contains("not supported after starting the microVM");
  }

  @Test
  void rateLimitersReachTheBackendAndABucketOfSizeZeroLimitsNothing() throws Exception {
    assertThat(
            call(
                    "PUT",
                    "/drives/rootfs",
                    drive("rootfs", true, false)
                        .replace(
                            "}",
                            ",\"rate_limiter\":{\"bandwidth\":{\"size\":1048576,"
                                + "\"one_time_burst\":4096,\"refill_time\":500},"
                                + "\"ops\":{\"size\":0,\"refill_time\":1000}}}"))
                .status())
        .isEqualTo(204);
    assertThat(
            call(
                    "PUT",
                    "/network-interfaces/eth0",
                    "{\"iface_id\":\"eth0\",\"host_dev_name\":\"htap1\","
                        + "\"tx_rate_limiter\":{\"ops\":{\"size\":100,\"refill_time\":1000}}}")
                .status())
        .isEqualTo(204);
    assertThat(call("PUT", "/boot-source", "{\"kernel_image_path\":\"" + kernel + "\"}").status())
        .isEqualTo(204);
    assertThat(call("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}").status())
        .isEqualTo(204);

    RateLimiter disk = started.rootDrive().orElseThrow().rateLimiter().orElseThrow();
    assertThat(disk.bandwidth()).hasValue(new TokenBucket(1048576, 500, OptionalLong.of(4096)));
    assertThat(disk.bandwidth().get().ratePerSecond()).isEqualTo(2097152);
    assertThat(disk.ops()).isEmpty();
    NetworkInterface nic = started.networkInterfaces().get(0);
    assertThat(nic.rxRateLimiter()).isEmpty();
    assertThat(nic.txRateLimiter().orElseThrow().ops())
        .hasValue(new TokenBucket(100, 1000, OptionalLong.empty()));
  }

  @Test
  void aNetworkInterfaceTheBackendRefusesIsA400NamingWhy() throws Exception {
    FirecrackerBackend refusing =
        new FirecrackerBackend() {
          @Override
          public Optional<String> unsupported(String operation) {
            return Optional.empty();
          }

          @Override
          public Optional<String> refuses(NetworkInterface nic) {
            return nic.limited() ? Optional.of("no network limits here") : Optional.empty();
          }

          @Override
          public void instanceStart(VmSetup setup) {}

          @Override
          public Runnable sendCtrlAltDel() {
            return () -> {};
          }
        };
    try (FirecrackerApiServer other =
        new FirecrackerApiServer(
            FirecrackerSpec.bundled(),
            dir.resolve("other.sock"),
            "vm-8",
            refusing,
            (m, p, b, s) -> {})) {
      ApiResponse answer =
          other.handle(
              "PUT",
              "/network-interfaces/eth0",
              "{\"iface_id\":\"eth0\",\"host_dev_name\":\"htap1\","
                  + "\"rx_rate_limiter\":{\"bandwidth\":{\"size\":1000,\"refill_time\":1000}}}");
      assertThat(answer.status()).isEqualTo(400);
      assertThat(answer.body()).contains("no network limits here");
      assertThat(
              other
                  .handle(
                      "PUT",
                      "/network-interfaces/eth0",
                      "{\"iface_id\":\"eth0\",\"host_dev_name\":\"htap1\"}")
                  .status())
          .isEqualTo(204);
    }
  }

  @Test
  void aBackendFailureIsA400AndTheVmStaysNotStarted() throws Exception {
    call("PUT", "/boot-source", "{\"kernel_image_path\":\"" + kernel + "\"}");
    refuseStartWith = "QEMU said no";

    ApiResponse r = call("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}");

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).isEqualTo("{\"fault_message\":\"QEMU said no\"}");
    assertThat(call("GET", "/", "").body()).contains("\"state\":\"Not started\"");
    assertThat(answered).contains("PUT /actions 400");
  }

  @Test
  void refusedOperationsArePassedOnAfterSpecValidation() throws Exception {
    assertThat(call("PUT", "/snapshot/create", "{\"bogus\":1}").body())
        .contains("unknown field `bogus`");
    call("PUT", "/boot-source", "{\"kernel_image_path\":\"" + kernel + "\"}");
    call("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}");

    assertThat(
            call("PUT", "/snapshot/create", "{\"snapshot_path\":\"/s\",\"mem_file_path\":\"/m\"}")
                .body())
        .isEqualTo("{\"fault_message\":\"test backend does not support PUT /snapshot/create\"}");
    assertThat(call("PATCH", "/vm", "{\"state\":\"Paused\"}").status()).isEqualTo(204);
    assertThat(call("GET", "/", "").body()).contains("\"state\":\"Paused\"");
    assertThat(call("PUT", "/actions", "{\"action_type\":\"SendCtrlAltDel\"}").status())
        .isEqualTo(204);
    assertThat(events).containsExactly("pause", "ctrl-alt-del", "after ctrl-alt-del answer");
  }

  @Test
  void beforeBootPostBootActionsAreRefused() throws Exception {
    assertThat(call("PATCH", "/vm", "{\"state\":\"Paused\"}").body())
        .contains("not supported before starting the microVM");
    assertThat(call("PUT", "/actions", "{\"action_type\":\"SendCtrlAltDel\"}").status())
        .isEqualTo(400);
    assertThat(call("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}").body())
        .contains("Cannot start microvm without kernel configuration.");
    assertThat(events).isEmpty();
  }

  @Test
  void overTheSocketAnOversizedBodyIsRefusedAndTheConnectionStaysUsable() throws Exception {
    server.start();
    try (AFUNIXSocket s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(dir.resolve("api.sock")))) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      String big = "PUT /machine-config HTTP/1.1\r\nContent-Length: 60000\r\n\r\n";
      out.write(big.getBytes(StandardCharsets.US_ASCII));
      out.write("GET /version HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();

      HttpResponse refused = HttpCodec.readResponse(in);
      HttpResponse version = HttpCodec.readResponse(in);

      assertThat(refused.status()).isEqualTo(400);
      assertThat(refused.body()).contains("larger than the limit of 51200");
      assertThat(version.body()).isEqualTo("{\"firecracker_version\":\"1.16.1\"}");
    }
  }
}
