package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.NetnsRunner;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.fcproc.testing.TestNetwork;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Egress policies on real nftables, with network namespaces for the parts: a "host" namespace
 * holding a bridge (and the egress table, made by {@link EgressRules} through the same runner code
 * as the daemon's, wrapped in {@code ip netns exec}), a "guest" namespace behind a veth on that
 * bridge with an address of 10.232.x, and an "internet" namespace routed from the host holding
 * 203.0.113.130..133 with a TCP listener on port 8080. Nothing touches the machine's own network
 * namespace, and the test checks with {@code ip route get} that the internet addresses lead into
 * its own namespace before it connects.
 */
@RequiresRoot
@RequiresBinary({"ip", "nft", "python3", "bash", "timeout"})
class EgressRulesHostTest {
  private static final Ipv4 ALLOWED = Ipv4.parse("203.0.113.130");
  private static final Ipv4 OTHER = Ipv4.parse("203.0.113.131");
  private static final Ipv4 LISTED = Ipv4.parse("203.0.113.133");
  private static final int PORT = 8080;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private final List<String> namespaces = new ArrayList<>();
  private String hostNs;
  private String guestNs;
  private String netNs;
  private Ipv4 guest;
  private Process listener;
  private EgressRules rules;
  private PolicyEgressGate gate;

  @BeforeEach
  void setUp() throws Exception {
    String id = String.format("%04x", RANDOM.nextInt(1 << 16));
    hostNs = "egress" + id + "h";
    guestNs = "egress" + id + "g";
    netNs = "egress" + id + "i";
    String bridge = "egressbr" + id;
    Ipv4Cidr range = TestNetwork.freeNetwork(runner, 232);
    Ipv4 gateway = range.network().plus(1);
    guest = range.network().plus(2);
    Ipv4 uplinkHost = range.network().plus(129);
    Ipv4 uplinkNet = range.network().plus(130);
    for (String ns : List.of(hostNs, guestNs, netNs)) {
      runner.check(Command.of("ip", "netns", "add", ns));
      namespaces.add(ns);
      ip(ns, "link", "set", "lo", "up");
    }
    sh(hostNs, "echo 1 > /proc/sys/net/ipv4/ip_forward");
    ip(hostNs, "link", "add", bridge, "type", "bridge");
    ip(hostNs, "addr", "add", gateway + "/25", "dev", bridge);
    ip(hostNs, "link", "set", bridge, "up");
    ip(
        hostNs,
        "link",
        "add",
        "egressv" + id,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        guestNs);
    ip(hostNs, "link", "set", "egressv" + id, "master", bridge);
    ip(hostNs, "link", "set", "egressv" + id, "up");
    ip(guestNs, "addr", "add", guest + "/25", "dev", "eth0");
    ip(guestNs, "link", "set", "eth0", "up");
    ip(guestNs, "route", "add", "default", "via", gateway.toString());
    ip(hostNs, "link", "add", "up0", "type", "veth", "peer", "name", "eth0", "netns", netNs);
    ip(hostNs, "addr", "add", uplinkHost + "/30", "dev", "up0");
    ip(hostNs, "link", "set", "up0", "up");
    ip(hostNs, "route", "add", "203.0.113.128/25", "via", uplinkNet.toString());
    ip(netNs, "addr", "add", uplinkNet + "/30", "dev", "eth0");
    ip(netNs, "link", "set", "eth0", "up");
    for (int last = 130; last <= 133; last++) {
      ip(netNs, "addr", "add", "203.0.113." + last + "/32", "dev", "lo");
    }
    ip(netNs, "route", "add", "default", "via", uplinkHost.toString());
    assertThat(
            runner
                .check(
                    Command.of(
                        "ip", "netns", "exec", hostNs, "ip", "route", "get", ALLOWED.toString()))
                .stdout())
        .as("the internet range leads into the test's internet namespace")
        .contains("dev up0");
    assertThat(
            runner
                .check(
                    Command.of(
                        "ip", "netns", "exec", guestNs, "ip", "route", "get", ALLOWED.toString()))
                .stdout())
        .as("the guest routes through the test's bridge")
        .contains("via " + gateway);
    listener =
        new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                netNs,
                "python3",
                "-c",
                "import socket\n"
                    + "s = socket.socket()\n"
                    + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                    + "s.bind(('0.0.0.0', "
                    + PORT
                    + "))\n"
                    + "s.listen(64)\n"
                    + "print('listening', flush=True)\n"
                    + "while True:\n"
                    + "    c, _ = s.accept()\n"
                    + "    c.close()\n")
            .redirectErrorStream(true)
            .start();
    String first = new String(listener.getInputStream().readNBytes("listening".length()));
    assertThat(first).as("the internet namespace's TCP listener").isEqualTo("listening");
    Runner inHost = NetnsRunner.in(hostNs, runner);
    rules = new EgressRules(inHost, HostNetworkEnvironment.system(), "hearth_test_egress", bridge);
    rules.ensure();
    gate = new PolicyEgressGate(rules, Clock.system());
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (listener != null) {
        listener.destroyForcibly();
        assertThat(listener.waitFor(10, TimeUnit.SECONDS)).as("listener ended").isTrue();
      }
    } finally {
      for (String ns : namespaces) {
        runner.run(Command.of("ip", "netns", "del", ns));
      }
      CommandResult left = runner.check(Command.of("ip", "netns", "list"));
      for (String ns : namespaces) {
        assertThat(left.stdout()).as("namespaces left").doesNotContain(ns);
      }
    }
  }

  @Test
  void openLetsEverythingThrough() throws Exception {
    gate.apply("demo", guest, EgressPolicy.OPEN);
    assertThat(tcp(ALLOWED)).isEqualTo(Reach.CONNECTED);
    assertThat(tcp(OTHER)).isEqualTo(Reach.CONNECTED);
    assertThat(rules.guests()).isEmpty();
  }

  @Test
  void anAllowListLetsResolvedNamesAndListedNetworksThroughAndResetsTheRest() throws Exception {
    gate.apply("demo", guest, EgressPolicy.parse("allow:allowed.test,203.0.113.132/31"));
    assertThat(tcp(ALLOWED)).as("before the name was resolved").isEqualTo(Reach.REFUSED);
    assertThat(gate.mayResolve(guest, "allowed.test")).isTrue();
    assertThat(gate.mayResolve(guest, "other.test")).isFalse();
    gate.resolved(guest, "allowed.test", List.of(ALLOWED), Duration.ofSeconds(60));

    assertThat(tcp(ALLOWED)).as("the allowed name's address").isEqualTo(Reach.CONNECTED);
    assertThat(tcp(OTHER)).as("a literal address not on the list").isEqualTo(Reach.REFUSED);
    assertThat(tcp(LISTED)).as("an address of a listed CIDR").isEqualTo(Reach.CONNECTED);
    assertThat(udpDns(OTHER)).as("UDP to another resolver").isEqualTo("refused");

    PolicyEgressGate.Status status = gate.status(guest);
    assertThat(status.refusedNames()).isEqualTo(1);
    assertThat(status.lastRefused())
        .extracting(PolicyEgressGate.Refusal::name)
        .containsExactly("other.test");
    assertThat(status.denials().count()).isGreaterThanOrEqualTo(3);
    assertThat(status.denials().last())
        .extracting(d -> d.address() + ":" + d.port())
        .contains(ALLOWED + ":" + PORT, OTHER + ":" + PORT, OTHER + ":53");
  }

  @Test
  void aLiveChangeAppliesToTheNextConnectionAndForgetLeavesNothing() throws Exception {
    gate.apply("demo", guest, EgressPolicy.NONE);
    assertThat(tcp(ALLOWED)).as("none").isEqualTo(Reach.REFUSED);
    assertThat(tcp(LISTED)).as("none").isEqualTo(Reach.REFUSED);
    assertThat(gate.mayResolve(guest, "allowed.test")).isFalse();
    long deniedUnderNone = gate.status(guest).denials().count();
    assertThat(deniedUnderNone).isGreaterThanOrEqualTo(2);

    gate.apply("demo", guest, EgressPolicy.OPEN);
    assertThat(tcp(ALLOWED)).as("open").isEqualTo(Reach.CONNECTED);

    gate.apply("demo", guest, EgressPolicy.parse("allow:203.0.113.133"));
    assertThat(tcp(LISTED)).as("allow list with the address").isEqualTo(Reach.CONNECTED);
    assertThat(tcp(ALLOWED)).as("allow list without the address").isEqualTo(Reach.REFUSED);
    gate.apply("demo", guest, EgressPolicy.parse("allow:203.0.113.130"));
    assertThat(tcp(ALLOWED)).as("the list changed").isEqualTo(Reach.CONNECTED);
    assertThat(tcp(LISTED)).as("the list changed").isEqualTo(Reach.REFUSED);
    assertThat(rules.guests()).containsExactly(guest);

    gate.forget(guest);
    assertThat(rules.guests()).isEmpty();
    assertThat(tcp(LISTED)).as("forgotten: no rules").isEqualTo(Reach.CONNECTED);
    String table = nft("list", "table", "ip", "hearth_test_egress_egress");
    assertThat(table).doesNotContain("vm_", "allow_", "cidr_", "denied_", "denials_");
    rules.removeAll();
    rules.removeAll();
    assertThat(nft("list", "tables")).isBlank();
    gate.forget(guest); // nothing left: not an error
  }

  private enum Reach {
    REFUSED,
    DROPPED,
    CONNECTED
  }

  /** A TCP connect from the guest: a reset gives "refused" at once; silence runs to 5 s. */
  private Reach tcp(Ipv4 to) throws InterruptedException {
    CommandResult result =
        runner.run(
            Command.of(
                "ip",
                "netns",
                "exec",
                guestNs,
                "timeout",
                "5",
                "bash",
                "-c",
                "exec 3<>/dev/tcp/" + to + "/" + PORT));
    if (result.exitCode() == 0) {
      return Reach.CONNECTED;
    }
    if (result.exitCode() == 124) {
      return Reach.DROPPED;
    }
    assertThat(result.stderr()).as("connect to %s from the guest", to).contains("refused");
    return Reach.REFUSED;
  }

  /** A UDP datagram to port 53 and a wait for the answer: "refused" when an ICMP error came. */
  private String udpDns(Ipv4 to) throws InterruptedException {
    CommandResult result =
        runner.run(
            Command.of(
                "ip",
                "netns",
                "exec",
                guestNs,
                "python3",
                "-c",
                "import socket\n"
                    + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                    + "s.settimeout(5)\n"
                    + "s.connect(('"
                    + to
                    + "', 53))\n"
                    + "s.send(b'x')\n"
                    + "try:\n"
                    + "    s.recv(512)\n"
                    + "    print('answered')\n"
                    + "except socket.timeout:\n"
                    + "    print('silent')\n"
                    + "except OSError as e:\n"
                    + "    print('refused')\n"));
    return result.stdout().strip();
  }

  private String nft(String... args) throws InterruptedException {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", hostNs, "nft"));
    argv.addAll(List.of(args));
    return runner.check(Command.of(argv)).stdout();
  }

  private void ip(String ns, String... args) throws InterruptedException {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns, "ip"));
    argv.addAll(List.of(args));
    runner.check(Command.of(argv));
  }

  private void sh(String ns, String script) throws InterruptedException {
    runner.check(Command.of("ip", "netns", "exec", ns, "sh", "-c", script));
  }
}
