package dev.hearth.daemon.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.ConfigKey;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorCheck.Status;
import dev.hearth.fcproc.net.HostSockets.BoundSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * {@link dev.hearth.fcproc.net.NetworkChecks} in the doctor: IP forwarding, the bridge range, the
 * DNS port.
 */
class NetworkChecksTest extends DoctorFixture {
  @Nested
  class IpForward {
    @Test
    void offWarnsThatTheDaemonTurnsItOn() throws Exception {
      probe.text("/proc/sys/net/ipv4/ip_forward", "0\n");

      DoctorCheck forward = check("ip-forward");

      assertThat(forward.status()).isEqualTo(Status.WARN);
      assertThat(forward.detail())
          .isEqualTo("net.ipv4.ip_forward = 0: the daemon enables it when it sets up NAT");
      assertThat(forward.fix()).isEqualTo("sysctl -w net.ipv4.ip_forward=1");
    }

    @Test
    void unreadableWarns() throws Exception {
      probe.text("/proc/sys/net/ipv4/ip_forward", null);

      DoctorCheck forward = check("ip-forward");

      assertThat(forward.status()).isEqualTo(Status.WARN);
      assertThat(forward.detail()).startsWith("cannot read /proc/sys/net/ipv4/ip_forward");
    }
  }

  @Nested
  class BridgeCidr {
    private void routes(String json) {
      runner.on(List.of(IP, "-j", "route", "show"), 0, json, "");
    }

    @Test
    void anOverlappingRouteOnAnotherDeviceFailsNamingIt() throws Exception {
      routes(
          "[{\"dst\":\"default\",\"gateway\":\"192.0.2.1\",\"dev\":\"eth0\"},"
              + "{\"dst\":\"10.77.0.0/16\",\"gateway\":\"192.0.2.9\",\"dev\":\"tun0\"}]");

      DoctorCheck cidr = check("bridge-cidr");

      assertThat(cidr.status()).isEqualTo(Status.FAIL);
      assertThat(cidr.detail())
          .isEqualTo("bridge_cidr 10.77.0.1/24 overlaps the route 10.77.0.0/16 dev tun0");
      assertThat(cidr.fix())
          .isEqualTo("set bridge_cidr in /etc/hearth/config.toml to a free range");
    }

    @Test
    void aHostRouteInsideTheBridgeNetworkFails() throws Exception {
      routes("[{\"type\":\"blackhole\",\"dst\":\"10.77.0.200\",\"flags\":[]}]");

      DoctorCheck cidr = check("bridge-cidr");

      assertThat(cidr.status()).isEqualTo(Status.FAIL);
      assertThat(cidr.detail()).endsWith("overlaps the route blackhole 10.77.0.200");
    }

    @Test
    void theBridgesOwnRouteAndTheDefaultRouteAreFine() throws Exception {
      routes(
          "[{\"dst\":\"default\",\"gateway\":\"192.0.2.1\",\"dev\":\"eth0\"},"
              + "{\"dst\":\"10.77.0.0/24\",\"dev\":\"hearth0\",\"protocol\":\"kernel\"},"
              + "{\"dst\":\"10.78.0.0/24\",\"dev\":\"eth1\"}]");

      DoctorCheck cidr = check("bridge-cidr");

      assertThat(cidr.status()).isEqualTo(Status.PASS);
      assertThat(cidr.detail()).isEqualTo("no route overlaps 10.77.0.0/24 except through hearth0");
    }

    @Test
    void followsTheConfiguredBridge() throws Exception {
      configure(ConfigKey.BRIDGE_CIDR, "192.0.2.129/25");

      DoctorCheck cidr = check("bridge-cidr");

      assertThat(cidr.status()).isEqualTo(Status.FAIL);
      assertThat(cidr.detail()).contains("192.0.2.0/24 dev eth0");
    }

    @Test
    void withoutIpItIsNotChecked() throws Exception {
      probe.onPath("ip", null);

      DoctorCheck cidr = check("bridge-cidr");

      assertThat(cidr.status()).isEqualTo(Status.WARN);
      assertThat(cidr.detail()).startsWith("not checked");
      assertThat(runner.argvs()).noneMatch(argv -> argv.contains("route"));
    }
  }

  @Nested
  class DnsPort {
    private BoundSocket udp(String address, int port, long inode) throws IOException {
      return new BoundSocket("udp", InetAddress.getByName(address), port, 101, inode);
    }

    @Test
    void aWildcardListenerOnPort53Warns() throws Exception {
      probe.sockets(udp("127.0.0.53", 53, 7), udp("0.0.0.0", 53, 8));

      DoctorCheck dns = check("dns-port");

      assertThat(dns.status()).isEqualTo(Status.WARN);
      assertThat(dns.detail())
          .isEqualTo(
              "already listening: udp 0.0.0.0:53 (uid 101, socket inode 8);"
                  + " the VM DNS needs 10.77.0.1:53");
      assertThat(dns.fix()).isNotEmpty();
    }

    @Test
    void aListenerOnTheGatewayWarns() throws Exception {
      probe.sockets(new BoundSocket("udp6", InetAddress.getByName("::ffff:10.77.0.1"), 53, 0, 9));

      assertThat(check("dns-port").detail()).startsWith("already listening: udp6 10.77.0.1:53");
    }

    @Test
    void anIpv6WildcardListenerWarns() throws Exception {
      probe.sockets(new BoundSocket("tcp6", InetAddress.getByName("::"), 53, 0, 10));

      assertThat(check("dns-port").detail())
          .startsWith("already listening: tcp6 [0:0:0:0:0:0:0:0]:53");
    }

    @Test
    void otherAddressesPortsAndOurOwnSocketsAreFine() throws Exception {
      probe
          .sockets(udp("127.0.0.53", 53, 7), udp("0.0.0.0", 5353, 8), udp("10.77.0.1", 53, 9))
          .ownInodes(9L);

      DoctorCheck dns = check("dns-port");

      assertThat(dns.status()).isEqualTo(Status.PASS);
      assertThat(dns.detail()).isEqualTo("10.77.0.1:53 is free for the VM DNS");
    }
  }

  @Nested
  class Egress {
    @Test
    void theEgressTableIsCheckedAgainstTheKernelWithoutAddingIt() throws Exception {
      DoctorCheck egress = check("egress");

      assertThat(egress.status()).isEqualTo(Status.PASS);
      assertThat(egress.detail())
          .isEqualTo("the kernel takes the egress policies' rules (nft table ip hearth_egress)");
      assertThat(runner.commands())
          .filteredOn(c -> c.argv().equals(List.of("/usr/sbin/nft", "-c", "-f", "-")))
          .map(c -> new String(c.stdin().orElseThrow()))
          .filteredOn(table -> table.contains("table ip hearth_doctor_egress"))
          .singleElement()
          .satisfies(
              table ->
                  assertThat(table)
                      .contains("flags dynamic,timeout")
                      .contains("reject with tcp reset")
                      .contains("reject with icmp type admin-prohibited"));
    }

    @Test
    void withoutNftItWarnsWhatWillNotWork() throws Exception {
      probe.onPath("nft", null);

      DoctorCheck egress = check("egress");

      assertThat(egress.status()).isEqualTo(Status.WARN);
      assertThat(egress.detail())
          .isEqualTo(
              "nft not found on PATH: VMs cannot be created or set to an egress policy other than"
                  + " open; open VMs are not affected");
      assertThat(egress.fix()).isEqualTo("apt-get install nftables");
    }

    @Test
    void aDefaultPolicyOtherThanOpenIsNamed() throws Exception {
      probe.onPath("nft", null);
      configure(ConfigKey.DEFAULT_EGRESS, "none");

      assertThat(check("egress").detail()).contains("(and default_egress is none, so no VM can)");
    }

    @Test
    void aKernelThatRefusesTheTableWarnsWithNftsError() throws Exception {
      runner.on(
          List.of("/usr/sbin/nft", "-c", "-f", "-"),
          1,
          "",
          "Error: Could not process rule: No such file or directory\n");

      DoctorCheck egress = check("egress");

      assertThat(egress.status()).isEqualTo(Status.WARN);
      assertThat(egress.detail())
          .startsWith(
              "the kernel refused a table like the egress policies' (nft table ip hearth_egress):"
                  + " Error: Could not process rule: No such file or directory; VMs cannot be")
          .endsWith("open VMs are not affected");
      assertThat(egress.fix()).contains("modprobe");
    }
  }
}
