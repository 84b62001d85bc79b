package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.CommandResult;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * A guest that attacks its host through hearth, on a real daemon and a real guest (root in the
 * guest, as an agent or a build of someone else's code would be). Each step plays one hostile
 * behaviour and checks that the host holds: nothing written outside what was asked, no daemon
 * memory spent without bound, no traffic to the host or another VM beyond what hearth allows.
 *
 * <p>The setup steps (image, VM) must pass for the hostile steps to run; a hostile step's failure
 * does not stop the others, since each plays one attack on its own. The last steps delete the VMs
 * and check that nothing of the test is left on the host.
 */
@Tag("e2e")
@RequiresRoot
@RequiresBinary({"qemu-system-x86_64", "debootstrap", "mkfs.ext4", "debugfs", "xz", "tar", "ip"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(KeepLogsOnFailure.class)
class HostileGuestE2eTest implements KeepLogsOnFailure.Logs {
  private static final String IMAGE = "e2e-hostile";

  /** The hostile guest every step runs its attack in. */
  private static final String VM = "e2e-hostile-a";

  /** For exec, cp and session commands: guest round trips of a few seconds under emulation. */
  private static final Duration EXEC = Duration.ofMinutes(2);

  private E2eHost host;
  private String failedSetup;

  @BeforeAll
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void startDaemon() throws Exception {
    Path dist = Path.of(System.getProperty("hearth.e2e.dist", "../cli/target/hearth-dist"));
    Optional<Path> firecracker =
        Optional.of(System.getProperty("hearth.e2e.firecracker", ""))
            .filter(f -> !f.isEmpty())
            .map(Path::of);
    host =
        E2eHost.prepare(
            dist.toAbsolutePath().normalize(),
            firecracker,
            Path.of(System.getProperty("hearth.e2e.buildCache", "/var/cache/hearth-test/build")));
    host.startDaemon();
  }

  @BeforeEach
  void setupPassed() {
    assumeTrue(failedSetup == null, () -> "not run: the setup step " + failedSetup + " failed");
  }

  @Test
  @Order(0)
  @Timeout(value = 32, unit = TimeUnit.MINUTES)
  void buildsTheImage() throws Exception {
    runSetup(
        "buildsTheImage", () -> host.hearthOk(Duration.ofMinutes(30), "image", "build", IMAGE));
  }

  @Test
  @Order(1)
  @Timeout(value = 12, unit = TimeUnit.MINUTES)
  void createsTheHostileVm() throws Exception {
    runSetup(
        "createsTheHostileVm",
        () -> {
          host.hearthOk(
              Duration.ofMinutes(10), "vm", "create", VM, "--image", IMAGE, "--memory", "512");
          assertThat(host.vm(VM).path("state").asText()).isEqualTo("running");
        });
  }

  // Hostile steps: @Order 100-199 guest -> host copies and terminal output; 200-299 bounds on
  // guest-produced bytes; 300-399 networking and host keys. Each is independent of the others.

  @Test
  @Order(100)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void theGuestIsRootInItself() throws Exception {
    CommandResult id = host.hearthOk(EXEC, "vm", "exec", VM, "--", "id", "-u");
    assertThat(id.stdout().strip()).as("the guest user every attack runs as").isEqualTo("0");
  }

  /** The second VM of the networking steps, whose address the hostile guest claims. */
  private static final String VICTIM = "e2e-hostile-b";

  /**
   * A TCP connect from the hostile guest with bash's /dev/tcp: exit 0 connected, 1 with "refused"
   * when a RST came back (the SYN got through), 124 when nothing came back within 5 s (dropped).
   */
  private CommandResult guestConnect(String ip, int port) throws Exception {
    return host.hearth(
        EXEC,
        "vm",
        "exec",
        VM,
        "--",
        "timeout",
        "5",
        "bash",
        "-c",
        "exec 3<>/dev/tcp/" + ip + "/" + port);
  }

  @Test
  @Order(300)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void theGuestReachesNeitherTheMetadataAddressNorHostPortsButDns() throws Exception {
    String gateway = host.bridgeCidr.gateway().toString();
    // Control: the DNS port on the bridge address is let through (a RST when nothing listens).
    CommandResult dns = guestConnect(gateway, 53);
    assertThat(dns.exitCode())
        .as("connect to the DNS port on %s: %s", gateway, E2eHost.describe(dns))
        .isIn(0, 1);

    try (ServerSocket listener = new ServerSocket()) {
      listener.bind(new InetSocketAddress(InetAddress.getByName(gateway), 0));
      CommandResult hostPort = guestConnect(gateway, listener.getLocalPort());
      assertThat(hostPort.exitCode())
          .as("connect to a host port on the bridge address: %s", E2eHost.describe(hostPort))
          .isEqualTo(124);
      listener.setSoTimeout(1);
      assertThatThrownBy(listener::accept)
          .as("a connection the host's listener took from the guest")
          .isInstanceOf(SocketTimeoutException.class);
    }

    CommandResult metadata = guestConnect("169.254.169.254", 80);
    assertThat(metadata.exitCode())
        .as("connect to the metadata address: %s", E2eHost.describe(metadata))
        .isEqualTo(124);
  }

  @Test
  @Order(310)
  @Timeout(value = 20, unit = TimeUnit.MINUTES)
  void aGuestClaimingAnotherVmsAddressNeverAnswersForIt() throws Exception {
    host.hearthOk(
        Duration.ofMinutes(5),
        "vm",
        "create",
        VICTIM,
        "--image",
        IMAGE,
        "--memory",
        "512",
        "--no-start");
    JsonNode victim = host.vm(VICTIM);
    String victimIp = victim.path("ip").asText();
    String claim = victimIp + "/" + host.bridgeCidr.prefix();
    // The hostile guest takes the victim's address before it boots: its kernel answers the host's
    // ARP requests for it, and its sshd (which lets the daemon's key in) listens on every address.
    host.hearthOk(EXEC, "vm", "exec", VM, "--", "ip", "addr", "add", claim, "dev", "eth0");
    try {
      CommandResult start = host.hearth(Duration.ofMinutes(12), "vm", "start", VICTIM);
      if (start.exitCode() == 0) {
        CommandResult hostname = host.hearthOk(EXEC, "vm", "exec", VICTIM, "--", "hostname");
        assertThat(hostname.stdout().strip())
            .as("the guest that answered at %s for VM %s", victimIp, VICTIM)
            .isEqualTo(VICTIM);
      } else {
        // Refusing is allowed too (e.g. the host key check): the victim is then not running.
        assertThat(host.vm(VICTIM).path("state").asText())
            .as("the victim after a failed start: %s", E2eHost.describe(start))
            .isEqualTo("stopped");
      }
      CommandResult own = host.hearthOk(EXEC, "vm", "exec", VM, "--", "hostname");
      assertThat(own.stdout().strip()).as("the hostile guest itself").isEqualTo(VM);
    } finally {
      host.hearth(EXEC, "vm", "exec", VM, "--", "ip", "addr", "del", claim, "dev", "eth0");
    }

    host.hearthOk(Duration.ofMinutes(3), "vm", "delete", "--force", VICTIM);
    assertThat(host.leaks.tapGuards())
        .as("TAP guards once the victim is deleted (only the hostile guest's is left)")
        .containsExactly("TAP guard of " + host.vm(VM).path("tap").asText());
  }

  @Test
  @Order(900)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void deletesTheVmsAndTheImageAndLeavesNothing() throws Exception {
    for (JsonNode vm : host.hearthJson(Duration.ofSeconds(30), "vm", "list")) {
      String name = vm.path("name").asText();
      host.vm(name); // records its id for the leak check
      host.hearthOk(Duration.ofMinutes(3), "vm", "delete", "--force", name);
    }
    assertThat(host.leaks.vmLeftovers(host.vmIds())).as("left by the deleted VMs").isEmpty();
    assertThat(host.leaks.tapGuards()).as("TAP guards left by the deleted VMs").isEmpty();
    host.hearthOk(Duration.ofMinutes(1), "image", "delete", IMAGE);
  }

  @Test
  @Order(901)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void daemonStopsAndNothingOfTheTestIsLeft() throws Exception {
    assertThat(host.stopDaemon()).as("the daemon's exit code after SIGTERM").isEqualTo(143);
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

  private interface Step {
    void run() throws Exception;
  }

  /** Runs a setup step; when it fails, the steps after it are skipped, naming it. */
  private void runSetup(String name, Step step) throws Exception {
    try {
      step.run();
    } catch (Exception | AssertionError e) {
      failedSetup = name;
      throw e;
    }
  }

  @Override
  public Map<String, Path> logs() {
    return host == null ? Map.of() : host.logs();
  }

  @Override
  public void failed(String step) {
    // Hostile steps are independent: only a failed setup step (runSetup) stops the others.
  }
}
