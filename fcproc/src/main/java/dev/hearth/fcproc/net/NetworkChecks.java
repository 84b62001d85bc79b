package dev.hearth.fcproc.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.CheckOutcome;
import dev.hearth.core.Command;
import dev.hearth.core.CommandException;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Config;
import dev.hearth.core.HostProbe;
import dev.hearth.core.HostTools;
import dev.hearth.core.Runner;
import dev.hearth.fcproc.net.HostSockets.BoundSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The doctor's host network checks: {@code ip}, the firewall tool, TUN, IP forwarding, the bridge
 * range against the host's routes ({@code ip -j route show}, the one command run) and the DNS port
 * (through {@link HostSockets}). They only look.
 */
public final class NetworkChecks {
  private static final Logger log = LoggerFactory.getLogger(NetworkChecks.class);

  /** The TUN/TAP clone device: a VMM opens it to attach to its TAP. */
  public static final Path TUN = Path.of("/dev/net/tun");

  static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");
  private static final int DNS_PORT = 53;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

  private final Config config;
  private final Runner runner;
  private final HostProbe probe;
  private final HostSockets sockets;

  public NetworkChecks(Config config, Runner runner, HostProbe probe, HostSockets sockets) {
    this.config = config;
    this.runner = runner;
    this.probe = probe;
    this.sockets = sockets;
  }

  /** {@code ip}, which every bridge, TAP and route change runs. */
  public CheckOutcome ip() {
    return HostTools.required(probe, "ip", "iproute2");
  }

  public CheckOutcome firewall() {
    Optional<Path> nft = probe.findExecutable("nft");
    if (nft.isPresent()) {
      return CheckOutcome.pass("nft (" + nft.get() + ")");
    }
    return probe
        .findExecutable("iptables")
        .map(path -> CheckOutcome.pass("iptables (" + path + "; nft not found)"))
        .orElseGet(
            () ->
                CheckOutcome.fail(
                    "neither nft nor iptables" + HostTools.NOT_FOUND, "apt-get install nftables"));
  }

  /**
   * Whether the kernel takes an nftables table of the bridge family, which hearth's TAP guards are
   * ({@link TapGuards}): {@code nft -c} checks a small one against the kernel without adding it.
   */
  public CheckOutcome bridgeFilter() throws InterruptedException {
    Optional<Path> nft = probe.findExecutable("nft");
    if (nft.isEmpty()) {
      return CheckOutcome.fail(
          "nft"
              + HostTools.NOT_FOUND
              + ": VMs cannot start, since hearth holds each guest to its MAC and address with"
              + " nftables",
          "apt-get install nftables");
    }
    // With vm_net_bandwidth set, the TAPs of QEMU guests also get a limit rule (TapGuards.limit).
    String limit =
        config.vmNetBandwidth() > 0
            ? "limit rate over 1000 bytes/second burst 1000 bytes drop"
            : "";
    String probeTable =
        """
        table bridge hearth_doctor_probe {
          map limits_out { type ifname : verdict; }
          chain prerouting {
            type filter hook prerouting priority -200; policy accept;
            ether saddr != 06:00:0a:00:00:02 drop
            ether type arp arp saddr ip != 10.0.0.2 drop
          }
          chain postrouting {
            type filter hook postrouting priority 0; policy accept;
            oifname vmap @limits_out
            %s
          }
        }
        """
            .formatted(limit);
    CommandResult result;
    try {
      result =
          runner.run(
              Command.builder(nft.get().toString())
                  .args("-c", "-f", "-")
                  .stdin(probeTable)
                  .timeout(COMMAND_TIMEOUT)
                  .build());
    } catch (CommandException e) {
      return CheckOutcome.warn(
          "not checked: " + e.getMessage(), "check that `nft list ruleset` works");
    }
    if (result.ok()) {
      return CheckOutcome.pass("the kernel takes nftables bridge tables (the VMs' TAP guards)");
    }
    return CheckOutcome.fail(
        "the kernel refused an nftables bridge table, so VMs cannot start (hearth holds each guest"
            + " to its MAC and address with one): "
            + result.stderr().strip(),
        "use a kernel with CONFIG_NF_TABLES_BRIDGE (modprobe nf_tables_bridge or nft_meta_bridge)");
  }

  /**
   * Whether the egress policies can be applied ({@link EgressRules}, {@code table ip
   * <network_tag>_egress}): nft is there and {@code nft -c} takes a small table with every kind of
   * statement the egress table uses (a verdict map, sets with timeouts and intervals, a dynamic set
   * updated from the packet path, a named counter, rejects with a TCP reset and ICMP), checked
   * against the kernel without adding it. A WARN only: VMs under {@code open} need none of it.
   */
  public CheckOutcome egress() throws InterruptedException {
    String table = "ip " + config.networkTag() + "_egress";
    String wontWork =
        "VMs cannot be created or set to an egress policy other than open"
            + (config.defaultEgress().equals("open")
                ? ""
                : " (and default_egress is " + config.defaultEgress() + ", so no VM can)")
            + "; open VMs are not affected";
    Optional<Path> nft = probe.findExecutable("nft");
    if (nft.isEmpty()) {
      return CheckOutcome.warn(
          "nft" + HostTools.NOT_FOUND + ": " + wontWork, "apt-get install nftables");
    }
    String probeTable =
        """
        table ip hearth_doctor_egress {
          map vms { type ipv4_addr : verdict; }
          set allow { type ipv4_addr; flags timeout; size 16; }
          set cidr { type ipv4_addr; flags interval; }
          set denied { type ipv4_addr . inet_service; flags dynamic,timeout; size 16; timeout 60s; }
          counter denials { }
          chain vm {
            ip daddr @allow accept
            ip daddr @cidr accept
            meta l4proto { tcp, udp } update @denied { ip daddr . th dport }
            counter name "denials"
            meta l4proto tcp reject with tcp reset
            reject with icmp type admin-prohibited
          }
          chain forward {
            type filter hook forward priority filter - 1; policy accept;
            ct state established,related accept
            ip saddr vmap @vms
          }
        }
        """;
    CommandResult result;
    try {
      result =
          runner.run(
              Command.builder(nft.get().toString())
                  .args("-c", "-f", "-")
                  .stdin(probeTable)
                  .timeout(COMMAND_TIMEOUT)
                  .build());
    } catch (CommandException e) {
      return CheckOutcome.warn(
          "not checked: " + e.getMessage(), "check that `nft list ruleset` works");
    }
    if (result.ok()) {
      return CheckOutcome.pass(
          "the kernel takes the egress policies' rules (nft table " + table + ")");
    }
    return CheckOutcome.warn(
        "the kernel refused a table like the egress policies' (nft table "
            + table
            + "): "
            + result.stderr().strip()
            + "; "
            + wontWork,
        "use a kernel with nftables sets, reject and conntrack (modprobe nft_reject_ipv4"
            + " nft_ct nft_counter)");
  }

  public CheckOutcome tun() {
    return probe.exists(TUN)
        ? CheckOutcome.pass(TUN + " exists")
        : CheckOutcome.fail(TUN + " is missing: TAP devices cannot be created", "modprobe tun");
  }

  public CheckOutcome ipForward() {
    String fix = "sysctl -w net.ipv4.ip_forward=1";
    String value;
    try {
      value = probe.readSmallText(IP_FORWARD).strip();
    } catch (IOException e) {
      return CheckOutcome.warn("cannot read " + IP_FORWARD + ": " + e.getMessage(), fix);
    }
    if (value.equals("1")) {
      return CheckOutcome.pass("net.ipv4.ip_forward = 1");
    }
    return CheckOutcome.warn(
        "net.ipv4.ip_forward = " + value + ": the daemon enables it when it sets up NAT", fix);
  }

  public CheckOutcome bridgeCidr() throws IOException, InterruptedException {
    Ipv4Cidr bridge = Ipv4Cidr.parse(config.bridgeCidr());
    Optional<Path> ip = probe.findExecutable("ip");
    if (ip.isEmpty()) {
      return CheckOutcome.warn("not checked: ip" + HostTools.NOT_FOUND, "apt-get install iproute2");
    }
    CommandResult result;
    try {
      result =
          runner.check(
              Command.builder(ip.get().toString())
                  .args("-j", "route", "show")
                  .timeout(COMMAND_TIMEOUT)
                  .build());
    } catch (CommandException e) {
      return CheckOutcome.warn(
          "not checked: " + e.getMessage(), "check that `ip route` works here");
    }
    List<String> clashes = new ArrayList<>();
    for (JsonNode route : JSON.readTree(result.stdout())) {
      String dst = route.path("dst").asText("");
      String dev = route.path("dev").asText("");
      if (dst.equals("default") || dev.equals(config.bridgeName())) {
        continue;
      }
      Ipv4Cidr network;
      try {
        // ip prints host routes as a bare address.
        network = Ipv4Cidr.parse(dst.contains("/") ? dst : dst + "/32");
      } catch (IllegalArgumentException e) {
        // Not an IPv4 network (ip prints "default" and addresses only, but stay tolerant).
        log.debug("doctor: skipping route {}", route);
        continue;
      }
      if (network.overlaps(bridge)) {
        String type = route.path("type").asText("");
        clashes.add(
            (type.isEmpty() ? "" : type + " ") + dst + (dev.isEmpty() ? "" : " dev " + dev));
      }
    }
    String bridgeNetwork = bridge.networkCidr();
    if (!clashes.isEmpty()) {
      return CheckOutcome.fail(
          "bridge_cidr "
              + config.bridgeCidr()
              + " overlaps the route "
              + String.join(", the route ", clashes),
          "set bridge_cidr in " + configFile() + " to a free range");
    }
    return CheckOutcome.pass(
        "no route overlaps " + bridgeNetwork + " except through " + config.bridgeName());
  }

  private Path configFile() {
    return config.source().orElse(Config.DEFAULT_FILE);
  }

  public CheckOutcome dnsPort() throws IOException {
    InetAddress gateway =
        InetAddress.getByAddress(toBytes(Ipv4Cidr.parse(config.bridgeCidr()).gateway()));
    Set<Long> ours = sockets.ownSocketInodes();
    List<String> taken = new ArrayList<>();
    for (BoundSocket s : sockets.boundSockets()) {
      boolean clashes = s.address().isAnyLocalAddress() || s.address().equals(gateway);
      if (s.port() == DNS_PORT && clashes && !ours.contains(s.inode())) {
        taken.add(s.display() + " (uid " + s.uid() + ", socket inode " + s.inode() + ")");
      }
    }
    String needed = gateway.getHostAddress() + ":" + DNS_PORT;
    if (!taken.isEmpty()) {
      return CheckOutcome.warn(
          "already listening: " + String.join(", ", taken) + "; the VM DNS needs " + needed,
          "stop that DNS server or bind it to other addresses than "
              + gateway.getHostAddress()
              + " and 0.0.0.0");
    }
    return CheckOutcome.pass(needed + " is free for the VM DNS");
  }

  private static byte[] toBytes(Ipv4 ip) {
    int[] octets = ip.octets();
    byte[] bytes = new byte[4];
    for (int i = 0; i < 4; i++) {
      bytes[i] = (byte) octets[i];
    }
    return bytes;
  }
}
