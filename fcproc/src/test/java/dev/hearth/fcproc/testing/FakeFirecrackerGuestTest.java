package dev.hearth.fcproc.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeRunner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fake's guest emulation when it cannot be set up: the console says why and the fake ends. */
class FakeFirecrackerGuestTest {
  @TempDir Path dir;
  private final FakeRunner runner = new FakeRunner();
  private final ByteArrayOutputStream consoleBytes = new ByteArrayOutputStream();
  private final CountDownLatch failed = new CountDownLatch(1);
  private FakeFirecracker fake;
  private Path kernel;

  @BeforeEach
  void startFake() throws Exception {
    kernel = Files.writeString(dir.resolve("vmlinux"), "kernel");
    fake =
        new FakeFirecracker(
            ReferenceSpec.load(),
            dir.resolve("api.sock"),
            "guest-test",
            new PrintStream(consoleBytes, true, StandardCharsets.UTF_8),
            0,
            () -> {});
    fake.emulateGuest(runner, failed::countDown);
    fake.start();
  }

  @AfterEach
  void stopFake() {
    fake.close();
  }

  private void boot(String bootArgs) throws Exception {
    String body =
        "{\"kernel_image_path\": \"" + kernel + "\", \"boot_args\": \"" + bootArgs + "\"}";
    assertThat(fake.handle("PUT", "/boot-source", body).status()).isEqualTo(204);
    assertThat(
            fake.handle(
                    "PUT",
                    "/network-interfaces/eth0",
                    "{\"iface_id\": \"eth0\", \"host_dev_name\": \"htap3\"}")
                .status())
        .isEqualTo(204);
    assertThat(fake.handle("PUT", "/actions", "{\"action_type\": \"InstanceStart\"}").status())
        .isEqualTo(204);
  }

  private String console() {
    return consoleBytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void bootArgsWithoutIpEndTheFakeWithAReason() throws Exception {
    boot("console=ttyS0 reboot=k");

    Await.latch(failed, "the fake to report its guest failure");
    assertThat(console())
        .contains(FakeFirecracker.GUEST_FAILURE_PREFIX + "the boot args have no ip=");
    assertThat(dir.resolve("api.sock")).doesNotExist();
    assertThat(runner.argvs()).isEmpty();
  }

  @Test
  void aRefusedAddressEndsTheFakeNamingTheCommand() throws Exception {
    runner.on(List.of("ip", "addr", "replace"), 2, "", "RTNETLINK answers: File exists");

    boot("console=ttyS0 ip=10.252.9.2::10.252.9.1:255.255.255.0:demo:eth0:off");

    Await.latch(failed, "the fake to report its guest failure");
    assertThat(console())
        .contains(FakeFirecracker.GUEST_FAILURE_PREFIX + "could not add 10.252.9.2/32 to TAP htap3")
        .contains("RTNETLINK answers: File exists");
    assertThat(dir.resolve("api.sock")).doesNotExist();
  }
}
