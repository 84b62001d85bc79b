package dev.hearth.daemon.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class Ipv4CidrTest {
  private static boolean overlap(String a, String b) {
    return Ipv4Cidr.parse(a).overlaps(Ipv4Cidr.parse(b));
  }

  @Test
  void overlapsWhenOneNetworkContainsTheOther() {
    assertThat(overlap("10.77.0.1/24", "10.77.0.0/16")).isTrue();
    assertThat(overlap("10.77.0.0/16", "10.77.0.1/24")).isTrue();
    assertThat(overlap("10.77.0.1/24", "10.77.0.255")).isTrue();
    assertThat(overlap("10.77.0.1/24", "0.0.0.0/0")).isTrue();
  }

  @Test
  void disjointNetworksDoNotOverlap() {
    assertThat(overlap("10.77.0.1/24", "10.77.1.0/24")).isFalse();
    assertThat(overlap("10.77.0.1/24", "10.76.255.255")).isFalse();
    assertThat(overlap("192.0.2.129/25", "192.0.2.0/25")).isFalse();
  }

  @Test
  void printsAddressAndNetwork() {
    Ipv4Cidr bridge = Ipv4Cidr.parse("10.77.0.1/24");

    assertThat(bridge).hasToString("10.77.0.1/24");
    assertThat(bridge.networkCidr()).hasToString("10.77.0.0/24");
    assertThat(bridge.inetAddress().getHostAddress()).isEqualTo("10.77.0.1");
    assertThat(Ipv4Cidr.parse("255.255.255.255")).hasToString("255.255.255.255/32");
  }

  @Test
  void rejectsWhatIsNotIpv4() {
    assertThatThrownBy(() -> Ipv4Cidr.parse("fe80::/64")).hasMessageContaining("'fe80::/64'");
    assertThatThrownBy(() -> Ipv4Cidr.parse("10.0.0.256/8")).hasMessageContaining("'10.0.0.256/8'");
    assertThatThrownBy(() -> Ipv4Cidr.parse("10.0.0.0/33")).hasMessageContaining("longer than 32");
  }
}
