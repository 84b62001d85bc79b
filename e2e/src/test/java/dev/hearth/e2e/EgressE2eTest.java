package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.fcproc.net.Ipv4;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * A VM's egress policy on a real daemon and a real guest (issue 14): the daemon's VM DNS forwards
 * to a resolver in {@link FakeInternet} ({@code dns_upstream}), and one guest created with {@code
 * --egress allow:allowed.example} is held to it from the inside: the allowed name resolves and its
 * address answers; the denied name gets REFUSED at once; a literal address off the list gets a TCP
 * reset; another resolver asked directly answers nothing (the guest gets ICMP admin-prohibited);
 * {@code vm egress} shows the denials; a live change ({@code vm egress --allow/--deny-all/--open})
 * applies to the next connection without a restart of the guest; and a restarted daemon holds the
 * guest to its recorded policy again.
 *
 * <p>Every guest-side probe has a deadline ({@code timeout 5} in the guest), so a denial that came
 * as a silent drop fails as exit 124 rather than passing slowly.
 */
@Tag("e2e")
@RequiresRoot
@RequiresBinary({
  "qemu-system-x86_64",
  "debootstrap",
  "mkfs.ext4",
  "debugfs",
  "xz",
  "tar",
  "ip",
  "nft",
  "dnsmasq",
  "python3",
  "ss"
})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(KeepLogsOnFailure.class)
class EgressE2eTest implements KeepLogsOnFailure.Logs {
  private static final String IMAGE = "e2e-egress";
  private static final String VM = "e2e-egress-a";
  private static final Duration EXEC = Duration.ofMinutes(2);
  private static final String ALLOWED_NAME = "allowed.example";
  private static final String DENIED_NAME = "denied.example";
  private static final int NOERROR = 0;
  private static final int REFUSED = 5;

  private E2eHost host;
  private FakeInternet internet;
  private final SetupSteps setup = new SetupSteps();
  private String bootId;

  @BeforeAll
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void startDaemon() throws Exception {
    host = E2eHost.prepareFromSystemProperties();
    internet = new FakeInternet(host.runner, host.work);
    host.addConfig("dns_upstream", "[\"" + FakeInternet.RESOLVER + ":53\"]");
    host.startDaemon();
  }

  @BeforeEach
  void setupPassed() {
    setup.assumeAllPassed();
  }

  @Test
  @Order(0)
  @Timeout(value = 32, unit = TimeUnit.MINUTES)
  void buildsTheImage() throws Exception {
    setup.run(
        "buildsTheImage", () -> host.hearthOk(Duration.ofMinutes(30), "image", "build", IMAGE));
  }

  @Test
  @Order(1)
  @Timeout(value = 12, unit = TimeUnit.MINUTES)
  void createsTheVmUnderAnAllowList() throws Exception {
    setup.run(
        "createsTheVmUnderAnAllowList",
        () -> {
          host.hearthOk(
              Duration.ofMinutes(10),
              "vm",
              "create",
              VM,
              "--image",
              IMAGE,
              "--memory",
              "512",
              "--egress",
              "allow:" + ALLOWED_NAME);
          JsonNode vm = host.vm(VM);
          assertThat(vm.path("state").asText()).isEqualTo("running");
          assertThat(vm.path("egress").asText()).isEqualTo("allow:" + ALLOWED_NAME);
          bootId = bootId();
        });
  }

  @Test
  @Order(100)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void theAllowedNameResolvesAndItsAddressAnswers() throws Exception {
    assertThat(resolve(ALLOWED_NAME)).isEqualTo(FakeInternet.ALLOWED.toString());
    CommandResult hello = fetch(FakeInternet.ALLOWED);
    assertThat(hello.exitCode()).as(E2eHost.describe(hello)).isZero();
    assertThat(hello.stdout()).contains("hello from the fake internet");
  }

  @Test
  @Order(110)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void theDeniedNameIsRefusedAtOnce() throws Exception {
    assertThat(rcode(gateway(), DENIED_NAME)).as("the VM DNS's answer").isEqualTo(REFUSED);
    // glibc takes REFUSED as final: getent fails at once ("not found", 2), no time-out (124).
    CommandResult getent = guest("timeout", "5", "getent", "hosts", DENIED_NAME);
    assertThat(getent.exitCode()).as(E2eHost.describe(getent)).isEqualTo(2);
    assertThat(egress().path("last_refused").findValuesAsText("name")).contains(DENIED_NAME);
  }

  @Test
  @Order(120)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aLiteralAddressOffTheListGetsAReset() throws Exception {
    CommandResult connect = connect(FakeInternet.DENIED);
    assertThat(connect.exitCode()).as(E2eHost.describe(connect)).isEqualTo(1);
    assertThat(connect.stderr()).contains("Connection refused");
    assertThat(lastDenied()).contains(FakeInternet.DENIED + ":" + FakeInternet.PORT);
  }

  @Test
  @Order(130)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void anotherResolverAskedDirectlyIsRefusedByTheKernel() throws Exception {
    // UDP: the reject's ICMP admin-prohibited ends the guest's read with "No route to host".
    CommandResult udp = dnsQuery(FakeInternet.RESOLVER, ALLOWED_NAME);
    assertThat(udp.exitCode()).as(E2eHost.describe(udp)).isEqualTo(1);
    assertThat(udp.stderr()).contains("No route to host");
    CommandResult tcp = connect(FakeInternet.RESOLVER, 53);
    assertThat(tcp.exitCode()).as(E2eHost.describe(tcp)).isEqualTo(1);
    assertThat(tcp.stderr()).contains("Connection refused");

    JsonNode egress = egress();
    assertThat(egress.path("denied_packets").asLong()).isGreaterThanOrEqualTo(3);
    assertThat(lastDenied()).contains(FakeInternet.RESOLVER + ":53");
    CommandResult shown = host.hearthOk(EXEC, "vm", "egress", VM);
    assertThat(shown.stdout())
        .contains("allow:" + ALLOWED_NAME)
        .contains("refused name " + DENIED_NAME)
        .contains("denied " + FakeInternet.RESOLVER + ":53");
  }

  @Test
  @Order(200)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aLiveChangeAppliesToTheNextQuestionAndConnection() throws Exception {
    host.hearthOk(EXEC, "vm", "egress", VM, "--allow", ALLOWED_NAME + "," + DENIED_NAME);
    assertThat(resolve(DENIED_NAME)).isEqualTo(FakeInternet.DENIED.toString());
    assertThat(fetch(FakeInternet.DENIED).exitCode())
        .as("the newly allowed name's address")
        .isZero();

    host.hearthOk(EXEC, "vm", "egress", VM, "--deny-all");
    assertThat(host.vm(VM).path("egress").asText()).isEqualTo("none");
    assertThat(rcode(gateway(), ALLOWED_NAME)).isEqualTo(REFUSED);
    CommandResult connect = connect(FakeInternet.ALLOWED);
    assertThat(connect.exitCode()).as(E2eHost.describe(connect)).isEqualTo(1);
    // VM names are never gated: the guest still resolves its own.
    assertThat(resolve(VM)).isEqualTo(host.vm(VM).path("ip").asText());

    host.hearthOk(EXEC, "vm", "egress", VM, "--open");
    assertThat(rcode(gateway(), DENIED_NAME)).as("forwarded to the upstream").isEqualTo(NOERROR);
    assertThat(fetch(FakeInternet.DENIED).exitCode()).as("a literal address under open").isZero();

    assertThat(bootId()).as("the guest's boot id (no restart)").isEqualTo(bootId);
  }

  @Test
  @Order(300)
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void aRestartedDaemonHoldsTheGuestToItsRecordedPolicy() throws Exception {
    host.hearthOk(EXEC, "vm", "egress", VM, "--allow", ALLOWED_NAME);
    host.restartDaemon();

    // The guest listener is open again (reconcile's network ensure) and the gate knows the VM.
    assertThat(rcode(gateway(), DENIED_NAME)).isEqualTo(REFUSED);
    assertThat(resolve(ALLOWED_NAME)).isEqualTo(FakeInternet.ALLOWED.toString());
    assertThat(fetch(FakeInternet.ALLOWED).exitCode()).isZero();
    assertThat(connect(FakeInternet.DENIED).exitCode()).isEqualTo(1);
    assertThat(bootId()).as("the guest's boot id (no restart)").isEqualTo(bootId);
  }

  @Test
  @Order(900)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void deletesTheVmAndTheImageAndTheirRules() throws Exception {
    Ipv4 ip = Ipv4.parse(host.vm(VM).path("ip").asText());
    host.deleteAllVmsAndImage(IMAGE);
    CommandResult table =
        host.runner.run(Command.of("nft", "list", "table", "ip", host.networkTag + "_egress"));
    assertThat(table.stdout())
        .as("the egress table after the VM's deletion")
        .doesNotContain(ip.toString())
        .doesNotContain("vm_" + ip.toString().replace('.', '_'));
  }

  @Test
  @Order(901)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void daemonStopsAndNothingOfTheTestIsLeft() throws Exception {
    host.stopDaemonAndCheckNothingIsLeft();
    internet.close();
    assertThat(internet.leftovers()).as("left of the fake internet").isEmpty();
  }

  @AfterAll
  void cleanUp() throws Exception {
    try {
      if (internet != null) {
        internet.close();
      }
    } finally {
      E2eHost.finish(host, getClass());
    }
  }

  private String gateway() {
    return host.bridgeCidr.gateway().toString();
  }

  private CommandResult guest(String... argv) throws InterruptedException {
    String[] args = new String[argv.length + 4];
    args[0] = "vm";
    args[1] = "exec";
    args[2] = VM;
    args[3] = "--";
    System.arraycopy(argv, 0, args, 4, argv.length);
    return host.hearth(EXEC, args);
  }

  private String bootId() throws InterruptedException {
    return E2eHost.expectOk(guest("cat", "/proc/sys/kernel/random/boot_id")).stdout().strip();
  }

  /** The first address glibc resolves {@code name} to in the guest (through the VM DNS). */
  private String resolve(String name) throws InterruptedException {
    CommandResult getent = E2eHost.expectOk(guest("timeout", "5", "getent", "hosts", name));
    return getent.stdout().strip().split("\\s+")[0];
  }

  /** Connects to {@code ip}:{@link FakeInternet#PORT} and reads the listener's greeting. */
  private CommandResult fetch(Ipv4 ip) throws InterruptedException {
    return guest(
        "timeout",
        "5",
        "bash",
        "-c",
        "exec 3<>/dev/tcp/\"$0\"/\"$1\" && head -n 1 <&3",
        ip.toString(),
        Integer.toString(FakeInternet.PORT));
  }

  private CommandResult connect(Ipv4 ip) throws InterruptedException {
    return connect(ip, FakeInternet.PORT);
  }

  /** A TCP connect: 0 connected, 1 refused (a reset came back), 124 nothing within 5 s. */
  private CommandResult connect(Ipv4 ip, int port) throws InterruptedException {
    return guest(
        "timeout",
        "5",
        "bash",
        "-c",
        "exec 3<>/dev/tcp/\"$0\"/\"$1\"",
        ip.toString(),
        Integer.toString(port));
  }

  /**
   * The RCODE of the answer to an A question for {@code name}, asked over UDP of {@code server}.
   */
  private int rcode(String server, String name) throws Exception {
    CommandResult query = dnsQuery(Ipv4.parse(server), name);
    E2eHost.expectOk(query);
    String[] bytes = query.stdout().strip().split("\\s+");
    assertThat(bytes).as("the answer's first four bytes: %s", query.stdout()).hasSize(4);
    return Integer.parseInt(bytes[3], 16) & 0x0f;
  }

  /**
   * Sends one DNS question (A, recursion desired) for {@code name} from the guest to {@code
   * server}:53 over UDP with nothing but bash and coreutils, bypassing the guest's resolv.conf;
   * prints the answer's first four bytes (ID and flags) in hex. Exit 124 when nothing came back
   * within 5 s.
   */
  private CommandResult dnsQuery(Ipv4 server, String name) throws InterruptedException {
    StringBuilder query = new StringBuilder("\\x4e\\x21\\x01\\x00\\x00\\x01");
    query.append("\\x00\\x00\\x00\\x00\\x00\\x00");
    for (String label : name.split("\\.")) {
      query.append(String.format("\\x%02x", label.length())).append(label);
    }
    query.append("\\x00\\x00\\x01\\x00\\x01");
    return guest(
        "bash",
        "-c",
        "set -o pipefail; exec 3<>/dev/udp/\"$0\"/53 && printf \"$1\" >&3"
            + " && timeout 5 head -c 4 <&3 | od -An -tx1",
        server.toString(),
        query.toString());
  }

  private JsonNode egress() throws InterruptedException {
    return host.hearthJson(EXEC, "vm", "egress", VM);
  }

  /** The last denied destinations {@code vm egress} reports, as {@code address:port}. */
  private List<String> lastDenied() throws InterruptedException {
    List<String> denied = new ArrayList<>();
    for (JsonNode d : egress().path("last_denied")) {
      denied.add(d.path("address").asText() + ":" + d.path("port").asText());
    }
    return denied;
  }

  @Override
  public Map<String, Path> logs() {
    return host == null ? Map.of() : host.logs();
  }

  @Override
  public void failed(String step) {
    // Steps after the setup are independent: only a failed setup step stops the others.
  }
}
