package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.CommandResult;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One VM's life through the real CLI, against a real daemon whose firecracker is the QEMU launcher
 * of the distribution: image build, create (running, SSH ready), a command and a file in the guest
 * over SSH, stop and start with the file still there, delete, the daemon's SIGTERM, and nothing of
 * the test left on the host. The steps run in order on one daemon; after a failed step the later
 * ones are not run, and the failure's message points to the kept daemon and console logs.
 */
@Tag("e2e")
@RequiresRoot
@RequiresBinary({"qemu-system-x86_64", "debootstrap", "mkfs.ext4", "debugfs", "xz", "ssh", "ip"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(KeepLogsOnFailure.class)
class VmLifecycleE2eTest implements KeepLogsOnFailure.Logs {
  private static final String IMAGE = "e2e-base";
  private static final String VM = "e2e-demo";
  private static final String MARKER = "/root/e2e-marker";

  private final String token = UUID.randomUUID().toString();
  private E2eHost host;
  private String failedStep;

  @BeforeAll
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void startDaemon() throws Exception {
    Path dist = Path.of(System.getProperty("hearth.e2e.dist", "../cli/target/hearth-dist"));
    String firecracker = System.getProperty("hearth.e2e.firecracker", "");
    host =
        E2eHost.prepare(
            dist.toAbsolutePath().normalize(),
            firecracker.isEmpty() ? dist.resolve("bin/hearth-qemu-firecracker") : Path.of(firecracker),
            Path.of(System.getProperty("hearth.e2e.buildCache", "/var/cache/hearth-test/build")));
    host.startDaemon();
  }

  @BeforeEach
  void earlierStepsPassed() {
    assumeTrue(failedStep == null, () -> "not run: " + failedStep + " failed before it");
  }

  @Test
  @Order(1)
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void buildsAnImage() throws Exception {
    host.hearthOk(Duration.ofMinutes(30), "image", "build", IMAGE);

    JsonNode image = host.hearthJson(Duration.ofSeconds(30), "image", "show", IMAGE);
    assertThat(Path.of(image.path("kernel").asText())).isRegularFile();
    assertThat(Path.of(image.path("rootfs").asText())).isRegularFile();
  }

  @Test
  @Order(2)
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void createsAVmThatRunsWithSshReady() throws Exception {
    CommandResult create =
        host.hearthOk(Duration.ofMinutes(10), "vm", "create", VM, "--image", IMAGE, "--memory", "512");

    assertThat(create.stdout()).contains("[stage] wait-ssh");
    JsonNode vm = host.vm(VM);
    assertThat(vm.path("state").asText()).isEqualTo("running");
    assertThat(vm.path("ip").asText()).isNotEmpty();
    assertThat(HostLeaks.processesMentioning(List.of(vm.path("api_socket").asText())))
        .as("the launcher serving the VM's API socket")
        .isNotEmpty();
  }

  @Test
  @Order(3)
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void runsACommandInTheGuestOverSsh() throws Exception {
    String ip = host.vm(VM).path("ip").asText();

    CommandResult result =
        E2eHost.expectOk(
            host.ssh(ip, "printf %s " + token + " > " + MARKER + " && sync && uname -s && hostname"));

    assertThat(result.stdout().lines()).containsExactly("Linux", VM);
  }

  @Test
  @Order(4)
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void keepsTheGuestsDataAcrossStopAndStart() throws Exception {
    host.hearthOk(Duration.ofMinutes(3), "vm", "stop", VM);
    assertThat(host.vm(VM).path("state").asText()).isEqualTo("stopped");

    host.hearthOk(Duration.ofMinutes(10), "vm", "start", VM);
    JsonNode vm = host.vm(VM);
    assertThat(vm.path("state").asText()).isEqualTo("running");

    CommandResult read = E2eHost.expectOk(host.ssh(vm.path("ip").asText(), "cat " + MARKER));
    assertThat(read.stdout()).isEqualTo(token);
  }

  @Test
  @Order(5)
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void deletesTheVmAndItLeavesNothing() throws Exception {
    host.vm(VM); // its id, for the leak check
    host.hearthOk(Duration.ofMinutes(3), "vm", "delete", "--force", VM);

    JsonNode vms = host.hearthJson(Duration.ofSeconds(30), "vm", "list");
    assertThat(vms.isArray()).as("vm list --json: %s", vms).isTrue();
    assertThat(vms).isEmpty();
    assertThat(host.leaks.vmLeftovers(host.vmIds())).as("left by the deleted VM").isEmpty();
    host.hearthOk(Duration.ofMinutes(1), "image", "delete", IMAGE);
  }

  @Test
  @Order(6)
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void daemonStopsOnSigtermAndNothingOfTheTestIsLeft() throws Exception {
    long pid = host.daemonPid();

    int exit = host.stopDaemon();

    // 128 + SIGTERM: the JVM's exit after a signal-started shutdown (ARCHITECTURE.md, Decisions).
    assertThat(exit).isEqualTo(143);
    assertThat(ProcessHandle.of(pid)).isEmpty();
    assertThat(host.layout.socket()).doesNotExist();
    assertThat(host.layout.pidFile()).doesNotExist();
    assertThat(host.removeHostNetwork()).isEmpty();
    assertThat(host.leaks.everything(host.vmIds())).as("left on the host").isEmpty();
  }

  @AfterAll
  void cleanUp() throws Exception {
    if (host == null) {
      return;
    }
    List<String> left = host.cleanUp();
    AssertionError report =
        left.isEmpty()
            ? null
            : new FailureReport(KeepLogsOnFailure.keptRoot())
                .report(
                    getClass().getSimpleName() + ".cleanUp",
                    new AssertionError("left on the host after cleanup: " + left),
                    logs());
    host.close();
    if (report != null) {
      throw new KeepLogsOnFailure.Reported(report);
    }
  }

  @Override
  public Map<String, Path> logs() {
    return host == null ? Map.of() : host.logs();
  }

  @Override
  public void failed(String step) {
    if (failedStep == null) {
      failedStep = step;
    }
  }
}
