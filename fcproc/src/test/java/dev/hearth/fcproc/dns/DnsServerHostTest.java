package dev.hearth.fcproc.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.fcproc.net.EgressGate;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.Ipv4Cidr;
import dev.hearth.fcproc.testing.TestNetwork;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VM DNS on real sockets: a network namespace behind a veth pair stands in for a guest (its
 * {@code /etc/resolv.conf} is {@code /etc/netns/NS/resolv.conf}, which {@code ip netns exec} puts
 * in place, so glibc's {@code getent} asks as a guest's would), and dnsmasq on a loopback port of
 * the test's own stands in for the upstream resolver, with fixed records. The guest range is a free
 * 10.231.x.0/24 ({@link TestNetwork#freeNetwork}), checked to lead into the test's veth before
 * anything is sent; the addresses dnsmasq returns (203.0.113.0/25) are only ever answers.
 */
@RequiresRoot
@RequiresBinary({"ip", "dnsmasq", "python3"})
class DnsServerHostTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String ALLOWED = "203.0.113.10";
  private static final String DENIED = "203.0.113.20";

  @TempDir Path dir;

  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private final DnsRecords records = new DnsRecords();
  private final GateForTests gate = new GateForTests();
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private String ns;
  private String veth;
  private Path netnsEtc;
  private Ipv4Cidr bridge;
  private Ipv4 guestIp;
  private Path script;
  private Process dnsmasq;
  private InetSocketAddress upstream;
  private InetSocketAddress hostListener;

  @BeforeEach
  void setUp() throws Exception {
    String id = HexFormat.of().formatHex(SecureRandom.getSeed(2));
    ns = "hdns" + id + "g";
    veth = "dns" + id + "h";
    bridge = TestNetwork.freeNetwork(runner, 231);
    guestIp = bridge.address().plus(8);
    script = dir.resolve("dnsquery.py");
    try (InputStream in = getClass().getResourceAsStream("dnsquery.py")) {
      Files.write(script, in.readAllBytes());
    }
    runner.check(Command.of("ip", "netns", "add", ns));
    cleanup.add(() -> runner.run(Command.of("ip", "netns", "del", ns)));
    runner.check(
        Command.of("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns));
    cleanup.add(() -> runner.run(Command.of("ip", "link", "del", veth)));
    runner.check(Command.of("ip", "addr", "add", bridge.toString(), "dev", veth));
    runner.check(Command.of("ip", "link", "set", veth, "up"));
    inNs("ip", "link", "set", "lo", "up");
    inNs("ip", "addr", "add", guestIp + "/" + bridge.prefix(), "dev", "eth0");
    inNs("ip", "link", "set", "eth0", "up");
    assertThat(runner.check(Command.of("ip", "route", "get", guestIp.toString())).stdout())
        .as("the guest range leads into the test's veth")
        .contains("dev " + veth);
    netnsEtc = Path.of("/etc/netns", ns);
    Files.createDirectories(netnsEtc);
    cleanup.add(() -> deleteTree(netnsEtc));
    Files.writeString(
        netnsEtc.resolve("resolv.conf"),
        "nameserver "
            + bridge.address()
            + "\nsearch hearth.internal\noptions timeout:2 attempts:2\n");
    upstream = startDnsmasq();
  }

  @AfterEach
  void tearDown() throws Exception {
    Exception failure = null;
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      try {
        cleanup.get(i).close();
      } catch (Exception e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
    assertThat(runner.check(Command.of("ip", "netns", "list")).stdout()).doesNotContain(ns);
  }

  private DnsServer server(List<InetSocketAddress> upstreams, EgressGate egress) {
    DnsServer server = new DnsServer(records, "hearth.internal", bridge, upstreams, egress);
    cleanup.add(server::close);
    return server;
  }

  /** The server with the guest listener on the bridge address port 53 and a host one. */
  private void startServer() {
    DnsServer server = server(List.of(upstream), gate);
    server.listen(new InetSocketAddress(inet(bridge.address()), 53), true);
    hostListener = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), false);
  }

  @Test
  void vmNamesResolveFromAGuestAndFromTheHostUntilTheVmIsRemoved() throws Exception {
    startServer();
    Ipv4 demo = bridge.address().plus(6);
    records.put("demo", demo);

    CommandResult bare = runner.run(inNsCommand("getent", "hosts", "demo"));
    assertThat(bare.stdout()).as("getent hosts demo in the guest").contains(demo.toString());
    assertThat(bare.stdout()).contains("demo.hearth.internal");
    assertThat(guestAsks("demo.hearth.internal", "A", "udp")).isEqualTo("NOERROR " + demo);
    assertThat(guestAsks("demo.hearth.internal", "A", "tcp")).isEqualTo("NOERROR " + demo);
    assertThat(hostAsks("demo.hearth.internal", "udp")).isEqualTo("NOERROR " + demo);
    assertThat(hostAsks("demo.hearth.internal", "tcp")).isEqualTo("NOERROR " + demo);

    records.remove("demo");

    assertThat(guestAsks("demo.hearth.internal", "A", "udp")).isEqualTo("NXDOMAIN");
    assertThat(hostAsks("demo.hearth.internal", "tcp")).isEqualTo("NXDOMAIN");
    assertThat(runner.run(inNsCommand("getent", "hosts", "demo")).exitCode())
        .as("getent hosts of a removed VM")
        .isNotZero();
  }

  @Test
  void otherNamesAreForwardedAndTheGateHearsTheAnswerBeforeTheGuest() throws Exception {
    startServer();
    gate.holdResolved = new CountDownLatch(1);

    Process guest =
        startInNs(
            "python3",
            script.toString(),
            bridge.address().toString(),
            "53",
            "allowed.test",
            "A",
            "udp",
            "10");
    try {
      assertThat(gate.inResolved.await(WAIT.toSeconds(), TimeUnit.SECONDS))
          .as("the gate told of allowed.test's addresses")
          .isTrue();
      assertThat(guest.isAlive()).as("the guest has no answer while the gate holds it").isTrue();
      gate.holdResolved.countDown();
      assertThat(guest.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("guest query ends").isTrue();
      assertThat(new String(guest.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip())
          .isEqualTo("NOERROR " + ALLOWED);
    } finally {
      gate.holdResolved.countDown();
      guest.destroyForcibly();
    }
    assertThat(gate.asked).containsExactly(guestIp + " allowed.test");
    assertThat(gate.resolved).containsExactly(guestIp + " allowed.test [" + ALLOWED + "] PT1M");
    assertThat(hostAsks("allowed.test", "tcp")).isEqualTo("NOERROR " + ALLOWED);
  }

  @Test
  void theGuestGetsRefusedWhereTheGateSaysNoAndTheHostIsNotGated() throws Exception {
    startServer();
    gate.refused = "denied.test";

    assertThat(guestAsks("denied.test", "A", "udp")).isEqualTo("REFUSED");
    assertThat(guestAsks("denied.test", "A", "tcp")).isEqualTo("REFUSED");
    assertThat(hostAsks("denied.test", "udp")).isEqualTo("NOERROR " + DENIED);
    assertThat(gate.asked).containsOnly(guestIp + " denied.test");
    assertThat(gate.resolved).isEmpty();
  }

  /**
   * A source outside the bridge prefix that reaches the guests' listener (a neighbour routing the
   * prefix through the host; here an address of another free range on the namespace's side, routed
   * to the test's veth) is refused, not served as the host: no forward, no gate, no VM name.
   */
  @Test
  void aStrangerOnTheGuestsListenerIsRefusedNotServedAsTheHost() throws Exception {
    Ipv4 stranger = TestNetwork.freeNetwork(runner, 232).address().plus(8);
    inNs("ip", "addr", "add", stranger + "/32", "dev", "eth0");
    runner.check(Command.of("ip", "route", "add", stranger + "/32", "dev", veth));
    assertThat(runner.check(Command.of("ip", "route", "get", stranger.toString())).stdout())
        .as("the stranger's address leads into the test's veth")
        .contains("dev " + veth);
    startServer();
    records.put("demo", bridge.address().plus(9));
    gate.refused = "denied.test";

    for (String proto : List.of("udp", "tcp")) {
      assertThat(strangerAsks(stranger, "denied.test", proto)).as(proto).isEqualTo("REFUSED");
      assertThat(strangerAsks(stranger, "demo.hearth.internal", proto))
          .as(proto)
          .isEqualTo("REFUSED");
    }
    assertThat(gate.asked).as("questions held to a guest's policy").isEmpty();
    assertThat(guestAsks("demo.hearth.internal", "A", "udp"))
        .isEqualTo("NOERROR " + bridge.address().plus(9));
  }

  private String strangerAsks(Ipv4 source, String name, String proto) throws Exception {
    return runner
        .check(
            inNsCommand(
                "python3",
                script.toString(),
                bridge.address().toString(),
                "53",
                name,
                "A",
                proto,
                "10",
                source.toString()))
        .stdout()
        .strip();
  }

  /**
   * A silent upstream (a socket that never answers) gives SERVFAIL rather than silence: the client
   * prints TIMEOUT when nothing came within its 30 s, far beyond the forwarding budget ({@link
   * UpstreamForwarder#BUDGET}), so the answer must come from the budget running out, not from a
   * timing race. How fast it comes is the budget's, not this test's, to say (no timed assertion).
   */
  @Test
  void aDeadUpstreamGivesServfailRatherThanSilence() throws Exception {
    DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress());
    cleanup.add(silent::close);
    DnsServer server =
        server(
            List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort())),
            EgressGate.OPEN);
    hostListener = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), false);

    assertThat(hostAsks("example.test", "udp", 30)).isEqualTo("SERVFAIL");
  }

  @Test
  void closingTheServerFreesItsPorts() throws Exception {
    DnsServer server = server(List.of(upstream), EgressGate.OPEN);
    InetSocketAddress bound =
        server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), false);
    server.close();

    DnsServer again = server(List.of(upstream), EgressGate.OPEN);
    again.listen(bound, false);
    hostListener = bound;
    records.put("demo", bridge.address().plus(6));
    assertThat(hostAsks("demo.hearth.internal", "tcp")).startsWith("NOERROR");
  }

  // ---- helpers ----

  private String guestAsks(String name, String type, String proto) throws Exception {
    return runner
        .check(
            inNsCommand(
                "python3",
                script.toString(),
                bridge.address().toString(),
                "53",
                name,
                type,
                proto,
                "10"))
        .stdout()
        .strip();
  }

  private String hostAsks(String name, String proto) throws Exception {
    return hostAsks(name, proto, 10);
  }

  private String hostAsks(String name, String proto, int timeoutSeconds) throws Exception {
    return runner
        .check(
            Command.of(
                "python3",
                script.toString(),
                "127.0.0.1",
                Integer.toString(hostListener.getPort()),
                name,
                "A",
                proto,
                Integer.toString(timeoutSeconds)))
        .stdout()
        .strip();
  }

  private InetSocketAddress startDnsmasq() throws Exception {
    int port;
    try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    ProcessBuilder pb =
        new ProcessBuilder(
            "dnsmasq",
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            "--port=" + port,
            "--local-ttl=60",
            "--pid-file=",
            "--address=/allowed.test/" + ALLOWED,
            "--address=/denied.test/" + DENIED);
    pb.redirectErrorStream(true);
    pb.redirectOutput(dir.resolve("dnsmasq.log").toFile());
    dnsmasq = pb.start();
    cleanup.add(
        () -> {
          dnsmasq.destroy();
          if (!dnsmasq.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            dnsmasq.destroyForcibly();
          }
        });
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      CommandResult r =
          runner.run(
              Command.of(
                  "python3",
                  script.toString(),
                  "127.0.0.1",
                  Integer.toString(port),
                  "allowed.test",
                  "A",
                  "udp",
                  "1"));
      if (r.stdout().strip().equals("NOERROR " + ALLOWED)) {
        return address;
      }
      if (!dnsmasq.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError(
            "dnsmasq did not answer on 127.0.0.1:"
                + port
                + " within "
                + WAIT
                + ": "
                + Files.readString(dir.resolve("dnsmasq.log")));
      }
      Thread.sleep(100);
    }
  }

  private void inNs(String... argv) throws InterruptedException {
    runner.check(inNsCommand(argv));
  }

  private Command inNsCommand(String... argv) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    full.addAll(List.of(argv));
    return Command.builder(full.get(0))
        .args(full.subList(1, full.size()))
        .timeout(WAIT.multipliedBy(3))
        .build();
  }

  private Process startInNs(String... argv) throws IOException {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    full.addAll(List.of(argv));
    return new ProcessBuilder(full).redirectErrorStream(true).start();
  }

  private static InetAddress inet(Ipv4 ip) {
    try {
      return InetAddress.getByName(ip.toString());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static void deleteTree(Path path) throws IOException {
    if (Files.exists(path)) {
      try (var files = Files.walk(path)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /** Records what the DNS asks and tells; can refuse one name and hold {@code resolved}. */
  static final class GateForTests implements EgressGate {
    final List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<String> resolved = new java.util.concurrent.CopyOnWriteArrayList<>();
    final CountDownLatch inResolved = new CountDownLatch(1);
    volatile String refused = "";
    volatile CountDownLatch holdResolved = new CountDownLatch(0);

    @Override
    public boolean mayResolve(Ipv4 guest, String name) {
      asked.add(guest + " " + name);
      return !name.equals(refused);
    }

    @Override
    public void resolved(Ipv4 guest, String name, List<Ipv4> addresses, Duration ttl) {
      resolved.add(guest + " " + name + " " + addresses + " " + ttl);
      inResolved.countDown();
      try {
        if (!holdResolved.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
          throw new AssertionError("the test did not release the gate within " + WAIT);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
