package dev.hearth.fcproc.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.LinuxHostProbe;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.fcproc.net.Bridge;
import dev.hearth.fcproc.net.EgressGate;
import dev.hearth.fcproc.net.HostNetwork;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.TapGuest;
import dev.hearth.fcproc.testing.TestNetwork;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest listener of the VM DNS follows the bridge ({@link VmDns#followBridge}): a real bridge
 * in the host's namespace (a name and a 10.232.x.0/24 of the test's own), made by fcproc's {@link
 * Bridge} as the daemon's network ensure makes it, and a "guest" network namespace behind a veth on
 * it asking over UDP and TCP. When the bridge is deleted and the next ensure makes it again, the
 * listener is opened again on the new bridge (a TCP listener bound on the old one no longer accepts
 * there).
 */
@RequiresRoot
@RequiresBinary({"ip", "python3"})
class VmDnsBridgeHostTest {
  @TempDir Path dir;

  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private TestNetwork net;
  private String ns;
  private String veth;
  private Bridge bridge;
  private VmDns dns;
  private HostNetwork network;
  private Path script;
  private Ipv4 vmIp;

  @BeforeEach
  void setUp() throws Exception {
    net = TestNetwork.pick(runner, "eg", 232);
    ns = "egress" + net.bridgeName().substring(4) + "g";
    veth = "egress" + net.bridgeName().substring(4) + "v";
    bridge = new Bridge(runner, net.bridgeName(), net.cidr());
    vmIp = net.cidr().network().plus(7);
    Config config =
        Config.defaults()
            .with(ConfigKey.BRIDGE_NAME, net.bridgeName())
            .with(ConfigKey.BRIDGE_CIDR, net.cidr().toString())
            .with(ConfigKey.DNS_HOST_LISTEN, "");
    dns = new VmDns(config, List.of(), EgressGate.OPEN, Optional.empty(), LinuxHostProbe.system());
    network = dns.followBridge(new BridgeOnly(bridge));
    dns.put("demo", vmIp.toString());
    script = dir.resolve("dnsquery.py");
    try (InputStream in = getClass().getResourceAsStream("/dev/hearth/fcproc/dns/dnsquery.py")) {
      Files.write(script, in.readAllBytes());
    }
    runner.check(Command.of("ip", "netns", "add", ns));
    runner.check(
        Command.of("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns));
    inGuest("ip", "link", "set", "lo", "up");
    inGuest("ip", "addr", "add", net.cidr().network().plus(2) + "/24", "dev", "eth0");
    inGuest("ip", "link", "set", "eth0", "up");
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (dns != null) {
        dns.close();
      }
    } finally {
      runner.run(Command.of("ip", "netns", "del", ns));
      runner.run(Command.of("ip", "link", "del", veth));
      bridge.remove();
    }
    assertThat(runner.run(Command.of("ip", "link", "show", net.bridgeName())).ok())
        .as("bridge " + net.bridgeName() + " left")
        .isFalse();
  }

  @Test
  void theGuestListenerIsOpenedAgainWhenTheBridgeIsMadeAgain() throws Exception {
    network.ensure();
    attach();
    assertThat(ask("udp")).isEqualTo("NOERROR " + vmIp);
    assertThat(ask("tcp")).isEqualTo("NOERROR " + vmIp);

    // An ensure with the same bridge keeps the listener (and its connections) as it is.
    network.ensure();
    assertThat(ask("tcp")).isEqualTo("NOERROR " + vmIp);

    bridge.remove();
    assertThat(runner.run(Command.of("ip", "link", "show", net.bridgeName())).ok()).isFalse();
    network.ensure();
    attach();
    // The new bridge has a new MAC: the guest must not wait for its old ARP entry to go stale.
    inGuest("ip", "neigh", "flush", "all");

    assertThat(ask("udp")).as("over UDP on the new bridge").isEqualTo("NOERROR " + vmIp);
    assertThat(ask("tcp")).as("over TCP on the new bridge").isEqualTo("NOERROR " + vmIp);
  }

  private void attach() throws InterruptedException {
    runner.check(Command.of("ip", "link", "set", veth, "master", net.bridgeName()));
    runner.check(Command.of("ip", "link", "set", veth, "up"));
  }

  /** Asks the bridge address for demo.hearth.internal from the guest namespace, 3 s at most. */
  private String ask(String proto) throws InterruptedException {
    CommandResult result =
        runner.check(
            Command.of(
                "ip",
                "netns",
                "exec",
                ns,
                "python3",
                script.toString(),
                net.cidr().address().toString(),
                "53",
                "demo.hearth.internal",
                "A",
                proto,
                "3"));
    return result.stdout().strip();
  }

  private void inGuest(String... argv) throws InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("ip", "netns", "exec", ns));
    command.addAll(List.of(argv));
    runner.check(Command.of(command));
  }

  /** The bridge part of the daemon's network: the TAP methods are not used here. */
  private record BridgeOnly(Bridge bridge) implements HostNetwork {
    @Override
    public void ensure() throws InterruptedException {
      bridge.ensure();
    }

    @Override
    public String tapName(int index) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void createTap(String tap) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void attachTap(String tap) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void ownTap(String tap, int uid) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void guardTap(String tap, TapGuest guest) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void limitTap(String tap, long bytesPerSecond) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void unguardTap(String tap) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void deleteTap(String tap) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<String> listTaps() {
      return List.of();
    }
  }
}
