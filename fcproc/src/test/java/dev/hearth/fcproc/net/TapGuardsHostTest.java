package dev.hearth.fcproc.net;

import static dev.hearth.fcproc.net.TestFrames.arpReply;
import static dev.hearth.fcproc.net.TestFrames.ipv4;
import static dev.hearth.fcproc.net.TestFrames.ipv6;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.NetnsRunner;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.fcproc.net.TestFrames.Frame;
import dev.hearth.fcproc.testing.TestNetwork;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TAP guards and the host filter on a real bridge, with network namespaces standing in for the
 * host and its guests: {@link LinuxHostNetwork} runs inside a namespace of the test's own ("the
 * host": bridge, NAT, the bridge-family guard table), each guest is a namespace behind a veth pair
 * whose host end carries a TAP name, and an "uplink" namespace plays the outside world holding
 * 169.254.169.254. Nothing of it touches the machine's own network namespace, and every frame stays
 * inside the test's namespaces; deleting them removes everything.
 *
 * <p>Raw frames are sent and watched with {@code frames.py} (AF_PACKET sockets): a spoofed frame is
 * "unseen" where it would arrive, a control frame with the right source is "seen". TCP reach is
 * told apart by bash's {@code /dev/tcp}: a RST ("refused") means the packet got through, silence
 * until the deadline means it was dropped.
 */
@RequiresRoot
@RequiresBinary({"ip", "nft", "python3", "bash", "timeout"})
class TapGuardsHostTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Ipv4 METADATA = Ipv4.parse("169.254.169.254");
  @TempDir Path dir;

  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private final List<String> namespaces = new ArrayList<>();
  private TestNetwork names;
  private String hostNs;
  private Runner hostRunner;
  private LinuxHostNetwork network;
  private TapDevices taps;
  private Path framesScript;
  private final List<Guest> guests = new ArrayList<>();
  private String upNs;
  private Ipv4 worldSide;

  /** A guest namespace behind the TAP-named veth {@code tap}. */
  private record Guest(String ns, String tap, Ipv4 ip, String mac) {}

  @BeforeEach
  void setUp() throws Exception {
    names = TestNetwork.pick(runner, "tg", 251);
    String id = names.tapPrefix().substring(4, 8);
    hostNs = "htg" + id + "h";
    framesScript = dir.resolve("frames.py");
    try (InputStream in = getClass().getResourceAsStream("frames.py")) {
      Files.write(framesScript, in.readAllBytes());
    }
    newNamespace(hostNs);
    hostRunner = NetnsRunner.in(hostNs, runner);
    sh(hostNs, "ip link set lo up && echo 1 > /proc/sys/net/ipv4/ip_forward");
    network = hostNetwork(false);
    taps = new TapDevices(hostRunner, names.tapPrefix());
    network.ensure();
    for (int i = 0; i < 2; i++) {
      guests.add(addGuest(i));
    }
    // The outside world: an uplink namespace routed from the host, holding the metadata address.
    upNs = "htg" + id + "u";
    newNamespace(upNs);
    Ipv4Cidr uplink = TestNetwork.freeNetwork(runner, 252);
    Ipv4 hostSide = uplink.gateway();
    worldSide = hostSide.plus(1);
    ip(hostNs, "link", "add", "up0", "type", "veth", "peer", "name", "eth0", "netns", upNs);
    ip(hostNs, "addr", "add", hostSide + "/" + uplink.prefix(), "dev", "up0");
    ip(hostNs, "link", "set", "up0", "up");
    ip(hostNs, "route", "add", "default", "via", worldSide.toString());
    ip(upNs, "link", "set", "lo", "up");
    ip(upNs, "addr", "add", worldSide + "/" + uplink.prefix(), "dev", "eth0");
    ip(upNs, "addr", "add", METADATA + "/32", "dev", "lo");
    ip(upNs, "link", "set", "eth0", "up");
    ip(upNs, "route", "add", "default", "via", hostSide.toString());
  }

  @AfterEach
  void tearDown() throws Exception {
    for (String ns : namespaces) {
      runner.run(Command.of("ip", "netns", "del", ns));
    }
    CommandResult left = runner.check(Command.of("ip", "netns", "list"));
    for (String ns : namespaces) {
      assertThat(left.stdout()).as("namespaces left").doesNotContain(ns);
    }
  }

  @Test
  void framesFromAGuestMustCarryItsOwnMacAndAddress() throws Exception {
    Guest a = guests.get(0);
    Guest b = guests.get(1);
    Ipv4 gateway = names.cidr().gateway();
    String bridge = names.bridgeName();

    assertThat(send(a, hostNs, bridge, ipv4(a.mac(), a.ip(), gateway)))
        .as("control: a's own MAC and address")
        .isEqualTo("seen");
    assertThat(send(a, hostNs, bridge, ipv4(a.mac(), b.ip(), gateway)))
        .as("IPv4 from b's address")
        .isEqualTo("unseen");
    assertThat(send(a, hostNs, bridge, ipv4(b.mac(), a.ip(), gateway)))
        .as("a frame from b's MAC")
        .isEqualTo("unseen");
    assertThat(send(a, hostNs, bridge, arpReply(a.mac(), a.mac(), a.ip())))
        .as("control: ARP for a's own address")
        .isEqualTo("seen");
    assertThat(send(a, hostNs, bridge, arpReply(a.mac(), a.mac(), gateway)))
        .as("ARP reply claiming the gateway")
        .isEqualTo("unseen");
    assertThat(send(a, hostNs, bridge, arpReply(a.mac(), a.mac(), b.ip())))
        .as("ARP reply claiming b's address")
        .isEqualTo("unseen");
    assertThat(send(a, hostNs, bridge, arpReply(a.mac(), b.mac(), a.ip())))
        .as("ARP naming b's MAC as sender")
        .isEqualTo("unseen");
    assertThat(send(a, hostNs, bridge, ipv6(a.mac())))
        .as("IPv6, even link-local")
        .isEqualTo("unseen");
  }

  @Test
  void aTapWithoutAGuardSendsNothing() throws Exception {
    Guest a = guests.get(0);
    network.unguardTap(a.tap());
    assertThat(send(a, hostNs, names.bridgeName(), ipv4(a.mac(), a.ip(), names.cidr().gateway())))
        .as("a's own frame once its TAP is back in the pool")
        .isEqualTo("unseen");
  }

  @Test
  void guestsCannotReachEachOtherUnlessVmToVmIsAllowed() throws Exception {
    Guest a = guests.get(0);
    Guest b = guests.get(1);
    assertThat(send(a, b.ns(), "eth0", ipv4(a.mac(), a.ip(), b.ip())))
        .as("a -> b while isolated")
        .isEqualTo("unseen");
    assertThat(tcp(a, b.ip(), 22)).as("TCP a -> b while isolated").isEqualTo(Reach.DROPPED);

    hostNetwork(true).ensure();
    assertThat(send(a, b.ns(), "eth0", ipv4(a.mac(), a.ip(), b.ip())))
        .as("a -> b with vm_to_vm allowed")
        .isEqualTo("seen");
    assertThat(tcp(a, b.ip(), 22)).as("TCP a -> b with vm_to_vm allowed").isEqualTo(Reach.REFUSED);
    assertThat(send(a, b.ns(), "eth0", arpReply(a.mac(), a.mac(), names.cidr().gateway())))
        .as("ARP claiming the gateway, even with vm_to_vm allowed")
        .isEqualTo("unseen");
  }

  @Test
  void guestsReachDnsOnTheHostAndTheOutsideButNotOtherHostPortsNorLinkLocal() throws Exception {
    Guest a = guests.get(0);
    Ipv4 gateway = names.cidr().gateway();
    assertThat(tcp(a, gateway, 53)).as("DNS port on the bridge address").isEqualTo(Reach.REFUSED);
    assertThat(tcp(a, gateway, 2222)).as("another host port").isEqualTo(Reach.DROPPED);
    assertThat(tcp(a, gateway, 22)).as("the host's SSH port").isEqualTo(Reach.DROPPED);
    assertThat(tcpFromHost(METADATA, 80))
        .as("control: the host itself reaches the metadata address")
        .isEqualTo(Reach.REFUSED);
    assertThat(tcp(a, METADATA, 80)).as("the metadata address").isEqualTo(Reach.DROPPED);
  }

  @Test
  void ensureSweepsTheGuardsOfTapsGoneFromTheHost() throws Exception {
    Guest a = guests.get(0);
    Guest b = guests.get(1);
    TapGuards guards = guards(false);
    ip(hostNs, "link", "del", a.tap()); // gone while no daemon watched
    // Another daemon's TAP (another prefix) guarded in the same table is not this one's to sweep.
    String foreign = "hfx" + names.tapPrefix().substring(4) + "0";
    runner.check(
        Command.of(
            "ip",
            "netns",
            "exec",
            hostNs,
            "nft",
            "add",
            "element",
            "bridge",
            names.natTag(),
            "guards",
            "{ \"" + foreign + "\" : accept }"));

    network.ensure();

    assertThat(guards.guarded()).containsExactlyInAnyOrder(b.tap(), foreign);
    assertThat(chains()).doesNotContain(TapGuards.chain(a.tap()));
  }

  @Test
  void guardsGoWithTheirTapAndTheTableWithRemove() throws Exception {
    Guest a = guests.get(0);
    Guest b = guests.get(1);
    TapGuards guards = guards(false);
    assertThat(guards.guarded()).containsExactlyInAnyOrder(a.tap(), b.tap());
    assertThat(chains()).contains(TapGuards.chain(a.tap()), TapGuards.chain(b.tap()));

    network.ensure(); // again, as every create does: the guards stay
    assertThat(guards.guarded()).containsExactlyInAnyOrder(a.tap(), b.tap());

    network.deleteTap(a.tap());
    network.deleteTap(a.tap());
    assertThat(guards.guarded()).containsExactly(b.tap());
    assertThat(chains())
        .doesNotContain(TapGuards.chain(a.tap()))
        .contains(TapGuards.chain(b.tap()));

    network.unguardTap(b.tap());
    network.unguardTap(b.tap());
    assertThat(guards.guarded()).isEmpty();
    assertThat(chains()).containsExactlyInAnyOrder("prerouting", "forward", "postrouting");

    guards.remove();
    guards.remove();
    new NatRules(hostRunner, environment(), names.bridgeName(), names.cidr(), names.natTag())
        .remove();
    assertThat(
            runner
                .check(Command.of("ip", "netns", "exec", hostNs, "nft", "list", "tables"))
                .stdout())
        .as("nft tables left in the host namespace")
        .isBlank();
    assertThat(guards.guarded()).isEmpty();
    guards.unguard(b.tap()); // no table: nothing to do
  }

  @Test
  void aLimitedTapPassesItsRateEachWayAndTheLimitGoesWithItsGuard() throws Exception {
    Guest a = guests.get(0);
    long rate = 16 << 10;
    framesScript = framesScript.resolveSibling("udp_burst.py");
    try (InputStream in = getClass().getResourceAsStream("udp_burst.py")) {
      Files.write(framesScript, in.readAllBytes());
    }
    assertThat(burst(a.ns(), upNs, worldSide).received())
        .as("control: the unlimited TAP passes the whole burst from the guest to the outside")
        .isGreaterThan(BURST * 9 / 10);

    network.limitTap(a.tap(), rate);
    network.limitTap(a.tap(), rate); // again, as a restart does: replaced, not doubled

    assertThat(chains()).contains("in_" + a.tap(), "out_" + a.tap());
    Burst out = burst(a.ns(), upNs, worldSide);
    assertThat(out.received()).as("from the guest: %s", out).isLessThanOrEqualTo(out.allowed(rate));
    Burst in = burst(hostNs, a.ns(), a.ip());
    assertThat(in.received()).as("to the guest: %s", in).isLessThanOrEqualTo(in.allowed(rate));
    assertThat(burst(guests.get(1).ns(), upNs, worldSide).received())
        .as("another guest's TAP stays unlimited")
        .isGreaterThan(BURST * 9 / 10);

    network.limitTap(a.tap(), 0);
    assertThat(chains()).doesNotContain("in_" + a.tap(), "out_" + a.tap());
    assertThat(burst(a.ns(), upNs, worldSide).received())
        .as("after the limit is lifted")
        .isGreaterThan(BURST * 9 / 10);

    network.limitTap(a.tap(), rate);
    network.unguardTap(a.tap());
    assertThat(chains())
        .containsExactlyInAnyOrder(
            "prerouting", "forward", "postrouting", TapGuards.chain(guests.get(1).tap()));
  }

  private static final int BURST = 2000;

  /**
   * A burst of {@link #BURST} datagrams of 1000 bytes and what arrived of it.
   *
   * @param seconds how long the sending took
   */
  private record Burst(int received, double seconds) {
    /**
     * The most a limit of {@code rate} bytes per second lets through while the burst is sent: its
     * bucket (a second's worth) and what refills meanwhile, in datagrams (1000 bytes each, plus
     * headers), with one more second of slack.
     */
    int allowed(long rate) {
      return (int) Math.round(rate * (2 + seconds) / 1000);
    }
  }

  private Burst burst(String fromNs, String toNs, Ipv4 to) throws Exception {
    Path ready = dir.resolve("ready-" + System.nanoTime());
    String script =
        "ip netns exec "
            + toNs
            + " python3 "
            + framesScript
            + " listen 9999 "
            + ready
            + " > "
            + ready
            + ".count & "
            + "for i in $(seq 100); do [ -e "
            + ready
            + " ] && break; sleep 0.1; done; [ -e "
            + ready
            + " ] || { echo 'the listener did not start within 10 s' >&2; exit 1; }; "
            + "ip netns exec "
            + fromNs
            + " python3 "
            + framesScript
            + " send "
            + to
            + " 9999 "
            + BURST
            + " && wait && cat "
            + ready
            + ".count";
    CommandResult result =
        runner.check(
            Command.builder("bash").args("-c", script).timeout(Duration.ofSeconds(60)).build());
    List<String> lines = result.stdout().lines().toList();
    assertThat(lines).as("sender's seconds and listener's count: %s", result.stdout()).hasSize(2);
    return new Burst(Integer.parseInt(lines.get(1).strip()), Double.parseDouble(lines.get(0)));
  }

  // --- the world ---

  private LinuxHostNetwork hostNetwork(boolean vmToVm) {
    return new LinuxHostNetwork(
        hostRunner,
        environment(),
        names.bridgeName(),
        names.cidr(),
        names.tapPrefix(),
        names.natTag(),
        vmToVm);
  }

  private TapGuards guards(boolean vmToVm) {
    return new TapGuards(
        hostRunner,
        environment(),
        names.natTag(),
        new TapDevices(hostRunner, names.tapPrefix()),
        vmToVm);
  }

  /** The real PATH; sysctl writes go to a folder (the namespace's forwarding is set by setUp). */
  private HostNetworkEnvironment environment() {
    HostNetworkEnvironment real = HostNetworkEnvironment.system();
    HostNetworkEnvironment files = HostNetworkEnvironment.system("", dir);
    return new HostNetworkEnvironment() {
      @Override
      public Optional<Path> findProgram(String name) {
        return real.findProgram(name);
      }

      @Override
      public void writeSysctl(String key, String value) {
        try {
          Files.createDirectories(dir.resolve("net/ipv4"));
        } catch (IOException e) {
          throw new AssertionError(e);
        }
        files.writeSysctl(key, value);
      }
    };
  }

  private Guest addGuest(int index) throws Exception {
    String ns = hostNs.substring(0, hostNs.length() - 1) + "g" + index;
    newNamespace(ns);
    String tap = taps.name(index);
    Ipv4 ip = names.cidr().gateway().plus(1 + index);
    TapGuest guest = TapGuest.of(ip);
    ip(hostNs, "link", "add", tap, "type", "veth", "peer", "name", "eth0", "netns", ns);
    network.attachTap(tap);
    network.guardTap(tap, guest);
    ip(ns, "link", "set", "lo", "up");
    ip(ns, "link", "set", "eth0", "address", guest.mac());
    ip(ns, "addr", "add", ip + "/" + names.cidr().prefix(), "dev", "eth0");
    ip(ns, "link", "set", "eth0", "up");
    ip(ns, "route", "add", "default", "via", names.cidr().gateway().toString());
    return new Guest(ns, tap, ip, guest.mac());
  }

  private void newNamespace(String ns) throws InterruptedException {
    runner.check(Command.of("ip", "netns", "add", ns));
    namespaces.add(ns);
  }

  private void ip(String ns, String... args) throws InterruptedException {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns, "ip"));
    argv.addAll(List.of(args));
    runner.check(Command.of(argv));
  }

  private CommandResult sh(String ns, String script) throws InterruptedException {
    return runner.run(Command.of("ip", "netns", "exec", ns, "sh", "-c", script));
  }

  private List<String> chains() throws Exception {
    CommandResult result =
        runner.check(
            Command.of(
                "ip",
                "netns",
                "exec",
                hostNs,
                "nft",
                "-j",
                "list",
                "table",
                "bridge",
                names.natTag()));
    List<String> chains = new ArrayList<>();
    for (JsonNode entry : JSON.readTree(result.stdout()).path("nftables")) {
      if (entry.has("chain")) {
        chains.add(entry.path("chain").path("name").asText());
      }
    }
    return chains;
  }

  // --- probes ---

  private enum Reach {
    REFUSED,
    DROPPED,
    CONNECTED
  }

  private Reach tcp(Guest from, Ipv4 to, int port) throws InterruptedException {
    return tcpIn(from.ns(), to, port);
  }

  private Reach tcpFromHost(Ipv4 to, int port) throws InterruptedException {
    return tcpIn(hostNs, to, port);
  }

  /**
   * A TCP connect: a RST comes back within milliseconds when the SYN got through; a SYN that was
   * dropped gets no answer before the 3 s deadline.
   */
  private Reach tcpIn(String ns, Ipv4 to, int port) throws InterruptedException {
    CommandResult result =
        runner.run(
            Command.of(
                "ip",
                "netns",
                "exec",
                ns,
                "timeout",
                "3",
                "bash",
                "-c",
                "exec 3<>/dev/tcp/" + to + "/" + port));
    if (result.exitCode() == 0) {
      return Reach.CONNECTED;
    }
    if (result.exitCode() == 124) {
      return Reach.DROPPED;
    }
    assertThat(result.stderr()).as("connect to %s:%d from %s", to, port, ns).contains("refused");
    return Reach.REFUSED;
  }

  private String send(Guest from, String sniffNs, String sniffIf, Frame frame)
      throws InterruptedException {
    return TestFrames.send(runner, framesScript, from.ns(), sniffNs, sniffIf, frame);
  }
}
