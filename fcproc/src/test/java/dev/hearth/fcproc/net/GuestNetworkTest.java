package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GuestNetworkTest {
  private final GuestNetwork net = new GuestNetwork(Ipv4Cidr.parse("10.77.0.1/24"));

  private static Ipv4 ip(String text) {
    return Ipv4.parse(text);
  }

  @Test
  void macIs0600FollowedByTheAddressBytes() {
    assertThat(GuestNetwork.macFor(ip("10.77.0.2"))).isEqualTo("06:00:0a:4d:00:02");
    assertThat(GuestNetwork.macFor(ip("172.16.254.171"))).isEqualTo("06:00:ac:10:fe:ab");
  }

  @Test
  void kernelArgumentCarriesGuestGatewayMaskAndHostname() {
    assertThat(net.kernelIpArgument(ip("10.77.0.2"), "demo"))
        .isEqualTo("ip=10.77.0.2::10.77.0.1:255.255.255.0:demo:eth0:off");
    GuestNetwork small = new GuestNetwork(Ipv4Cidr.parse("192.168.9.65/26"));
    assertThat(small.kernelIpArgument(ip("192.168.9.70"), "vm-1"))
        .isEqualTo("ip=192.168.9.70::192.168.9.65:255.255.255.192:vm-1:eth0:off");
  }

  @Test
  void kernelArgumentRefusesAddressesThatAreNotGuestsOfTheNetwork() {
    for (String bad : new String[] {"10.77.1.2", "10.77.0.0", "10.77.0.255", "10.77.0.1"}) {
      assertThatThrownBy(() -> net.kernelIpArgument(ip(bad), "demo"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(bad);
    }
  }

  @Test
  void kernelArgumentRefusesHostnamesThatWouldBreakTheFields() {
    for (String bad : new String[] {"a:b", "", "Demo", "-x", "x y"}) {
      assertThatThrownBy(() -> net.kernelIpArgument(ip("10.77.0.2"), bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'");
    }
  }

  @Test
  void allocatesTheLowestFreeAddressSkippingTheGateway() {
    assertThat(net.allocate(Set.of())).isEqualTo(ip("10.77.0.2"));
    assertThat(net.allocate(Set.of(ip("10.77.0.2"), ip("10.77.0.3")))).isEqualTo(ip("10.77.0.4"));
    assertThat(net.allocate(Set.of(ip("10.77.0.3")))).isEqualTo(ip("10.77.0.2"));
  }

  @Test
  void aGatewayInTheMiddleLeavesTheLowAddressesToGuests() {
    GuestNetwork mid = new GuestNetwork(Ipv4Cidr.parse("10.77.0.3/29"));
    assertThat(mid.allocate(Set.of())).isEqualTo(ip("10.77.0.1"));
    assertThat(mid.allocate(Set.of(ip("10.77.0.1"), ip("10.77.0.2")))).isEqualTo(ip("10.77.0.4"));
  }

  @Test
  void aTakenSetThatListsTheGatewayOrForeignAddressesChangesNothing() {
    assertThat(net.allocate(Set.of(ip("10.77.0.1"), ip("192.168.0.2")))).isEqualTo(ip("10.77.0.2"));
  }

  @Test
  void slash30HasExactlyOneGuestAddress() {
    GuestNetwork tiny = new GuestNetwork(Ipv4Cidr.parse("10.0.0.1/30"));
    assertThat(tiny.allocate(Set.of())).isEqualTo(ip("10.0.0.2"));
    assertThatThrownBy(() -> tiny.allocate(Set.of(ip("10.0.0.2"))))
        .isInstanceOf(GuestNetworkFullException.class)
        .hasMessageContaining("10.0.0.0/30")
        .hasMessageContaining("all 1 guest addresses");
  }

  @Test
  void aFullNetworkIsAClearError() {
    GuestNetwork small = new GuestNetwork(Ipv4Cidr.parse("10.0.0.1/28"));
    Set<Ipv4> taken = new HashSet<>();
    for (int i = 0; i < 13; i++) {
      Ipv4 next = small.allocate(taken);
      assertThat(taken.add(next)).as("allocated twice: %s", next).isTrue();
    }
    assertThat(taken).contains(ip("10.0.0.2"), ip("10.0.0.14")).doesNotContain(ip("10.0.0.1"));
    assertThatThrownBy(() -> small.allocate(taken))
        .isInstanceOf(GuestNetworkFullException.class)
        .isInstanceOf(HostNetworkException.class)
        .hasMessageContaining("no free guest address in 10.0.0.0/28")
        .hasMessageContaining("all 13 guest addresses are taken");
  }

  @Test
  void refusesNetworksWithoutRoomOrWithTheNetworkAddressAsGateway() {
    assertThatThrownBy(() -> new GuestNetwork(Ipv4Cidr.parse("10.0.0.1/31")))
        .hasMessageContaining("no room");
    assertThatThrownBy(() -> new GuestNetwork(Ipv4Cidr.parse("10.0.0.0/24")))
        .hasMessageContaining("network or broadcast")
        .hasMessageContaining("10.0.0.1/24");
    assertThatThrownBy(() -> new GuestNetwork(Ipv4Cidr.parse("10.0.0.255/24")))
        .hasMessageContaining("network or broadcast");
  }
}
