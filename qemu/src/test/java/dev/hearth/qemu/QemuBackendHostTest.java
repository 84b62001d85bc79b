package dev.hearth.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Clock;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.fcproc.QemuAccel;
import dev.hearth.fcproc.server.ApiResponse;
import dev.hearth.fcproc.server.FirecrackerApiServer;
import dev.hearth.fcproc.server.FirecrackerSpec;
import dev.hearth.fcproc.testing.TinyGuestKernel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The QEMU backend behind the API server with the real qemu-system-x86_64, under TCG (as in CI),
 * booting {@link TinyGuestKernel}: every option of the generated command line is parsed by QEMU,
 * the console reaches the file QEMU's stdout is, QMP works, and nothing is left behind.
 */
@RequiresBinary({"qemu-system-x86_64", "setpriv"})
class QemuBackendHostTest {
  @TempDir Path dir;
  ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  QemuBackend backend;
  FirecrackerApiServer server;
  String dataRateLimiter = "";

  void open() throws IOException {
    Path console = dir.resolve("console.log");
    backend =
        new QemuBackend(
            Path.of("qemu-system-x86_64"),
            QemuAccel.TCG,
            dir.resolve("api.sock.qmp"),
            stderr,
            new LinuxQemuHost(ProcessBuilder.Redirect.to(console.toFile())),
            Clock.system());
    server =
        new FirecrackerApiServer(
            FirecrackerSpec.bundled(),
            dir.resolve("api.sock"),
            "tiny-1",
            backend,
            (m, p, b, s) -> {});
  }

  @AfterEach
  void close() throws IOException {
    if (backend != null) {
      backend.close();
    }
    if (server != null) {
      server.close();
    }
  }

  int put(String path, String body) throws Exception {
    return server.handle("PUT", path, body).status();
  }

  ApiResponse configureAndStart(Path kernel, String extraBootArgs) throws Exception {
    Path log = Files.createFile(dir.resolve("fc.log"));
    Path metrics = Files.createFile(dir.resolve("metrics.json"));
    Path root = Files.write(dir.resolve("root.img"), new byte[1 << 20]);
    Path data = Files.write(dir.resolve("data,1.img"), new byte[1 << 20]);
    assertThat(put("/logger", "{\"log_path\":\"" + log + "\",\"level\":\"Info\"}")).isEqualTo(204);
    assertThat(put("/metrics", "{\"metrics_path\":\"" + metrics + "\"}")).isEqualTo(204);
    assertThat(put("/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":64}")).isEqualTo(204);
    assertThat(
            put(
                "/boot-source",
                "{\"kernel_image_path\":\""
                    + kernel
                    + "\",\"boot_args\":\"console=ttyS0"
                    + extraBootArgs
                    + "\"}"))
        .isEqualTo(204);
    assertThat(
            put(
                "/drives/data",
                "{\"drive_id\":\"data\",\"path_on_host\":\""
                    + data
                    + "\","
                    + "\"is_root_device\":false,\"is_read_only\":false"
                    + dataRateLimiter
                    + "}"))
        .isEqualTo(204);
    assertThat(
            put(
                "/drives/rootfs",
                "{\"drive_id\":\"rootfs\",\"path_on_host\":\""
                    + root
                    + "\","
                    + "\"is_root_device\":true,\"is_read_only\":true}"))
        .isEqualTo(204);
    return server.handle("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}");
  }

  long qemuPid() throws IOException {
    Matcher m =
        Pattern.compile("QEMU pid (\\d+) runs").matcher(Files.readString(dir.resolve("fc.log")));
    assertThat(m.find()).as("the log names QEMU's pid").isTrue();
    return Long.parseLong(m.group(1));
  }

  String console() throws IOException {
    return Files.readString(dir.resolve("console.log"));
  }

  @Test
  void bootsTheGuestServesQmpAndKillsQemuOnClose() throws Exception {
    open();
    Path kernel = TinyGuestKernel.write(dir.resolve("vmlinux"), TinyGuestKernel.Ending.HALT);

    ApiResponse start = configureAndStart(kernel, "");

    assertThat(start.status()).as(start.body()).isEqualTo(204);
    assertThat(server.handle("GET", "/", "").body()).contains("\"state\":\"Running\"");
    assertThat(dir.resolve("api.sock.qmp")).doesNotExist();
    long pid = qemuPid();
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).hasValue(true);
    assertThat(ProcessHandle.of(pid).orElseThrow().info().commandLine().orElse(""))
        .contains("tsc_early_khz=")
        .contains("root=/dev/vda ro");
    assertThat(server.handle("PATCH", "/vm", "{\"state\":\"Paused\"}").status()).isEqualTo(204);
    assertThat(server.handle("PATCH", "/vm", "{\"state\":\"Resumed\"}").status()).isEqualTo(204);
    // The tiny guest has no keyboard driver: Ctrl+Alt+Del is pressed and ignored.
    assertThat(server.handle("PUT", "/actions", "{\"action_type\":\"SendCtrlAltDel\"}").status())
        .isEqualTo(204);
    assertThat(
            server
                .handle(
                    "PUT",
                    "/snapshot/create",
                    "{\"snapshot_path\":\"/s\",\"mem_file_path\":\"/m\"}")
                .body())
        .contains("hearth-qemu-firecracker does not support PUT /snapshot/create");
    Await.until(
        "the tiny guest's up line on the console",
        () -> console().contains(TinyGuestKernel.UP_LINE));

    backend.close();

    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(Await.call("QEMU's exit after close", backend::awaitExit).clean()).isFalse();
  }

  @Test
  void aDrivesRateLimiterIsThrottlingInTheRunningQemu() throws Exception {
    open();
    Path kernel = TinyGuestKernel.write(dir.resolve("vmlinux"), TinyGuestKernel.Ending.HALT);
    dataRateLimiter =
        ",\"rate_limiter\":{\"bandwidth\":{\"size\":2097152,\"refill_time\":1000},"
            + "\"ops\":{\"size\":300,\"refill_time\":1000}}";

    ApiResponse start = configureAndStart(kernel, "");

    assertThat(start.status()).as(start.body()).isEqualTo(204);
    Map<String, JsonNode> inserted = new HashMap<>();
    for (JsonNode device : backend.query("query-block")) {
      inserted.put(device.path("device").asText(), device.path("inserted"));
    }
    assertThat(inserted).containsKeys("drive_data", "drive_rootfs");
    assertThat(inserted.get("drive_data").path("bps").asLong()).isEqualTo(2097152);
    assertThat(inserted.get("drive_data").path("iops").asLong()).isEqualTo(300);
    assertThat(inserted.get("drive_rootfs").path("bps").asLong())
        .as("no limiter, no limit")
        .isZero();
  }

  @Test
  void aGuestResetEndsQemuCleanly() throws Exception {
    open();
    Path kernel = TinyGuestKernel.write(dir.resolve("vmlinux"), TinyGuestKernel.Ending.RESET);

    assertThat(configureAndStart(kernel, "").status()).isEqualTo(204);
    QemuExit exit = Await.call("QEMU to end at the guest's reset", backend::awaitExit);

    assertThat(exit.clean()).as(exit.detail()).isTrue();
    assertThat(console()).contains(TinyGuestKernel.UP_LINE);
  }

  @Test
  void aKernelQemuCannotLoadIsA400QuotingQemu() throws Exception {
    open();
    Path kernel = Files.writeString(dir.resolve("vmlinux"), "not a kernel");

    ApiResponse start = configureAndStart(kernel, "");

    assertThat(start.status()).isEqualTo(400);
    assertThat(start.body()).contains("exited with code 1").contains("invalid kernel header");
    assertThat(server.handle("GET", "/", "").body()).contains("\"state\":\"Not started\"");
    assertThat(dir.resolve("api.sock.qmp")).doesNotExist();
  }

  @Test
  @RequiresRoot
  void attachesTheGuestToItsTap() throws Exception {
    open();
    String tap = "hqt" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20));
    Path kernel = TinyGuestKernel.write(dir.resolve("vmlinux"), TinyGuestKernel.Ending.HALT);
    assertThat(
            put(
                "/network-interfaces/eth0",
                "{\"iface_id\":\"eth0\",\"host_dev_name\":\""
                    + tap
                    + "\","
                    + "\"guest_mac\":\"06:00:0a:4d:00:02\"}"))
        .isEqualTo(204);

    ApiResponse start = configureAndStart(kernel, "");

    assertThat(start.status()).as(start.body()).isEqualTo(204);
    assertThat(Path.of("/sys/class/net", tap)).exists();
    backend.close();
    // QEMU made the TAP (hearth's are made beforehand); it goes with QEMU.
    assertThat(Path.of("/sys/class/net", tap)).doesNotExist();
  }
}
