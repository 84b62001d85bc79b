package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4CidrTest {

  @Test
  void derivesNetworkMaskBroadcastAndHostsOfASlash24() {
    Ipv4Cidr cidr = Ipv4Cidr.parse("10.77.0.1/24");
    assertThat(cidr.address()).isEqualTo(Ipv4.parse("10.77.0.1"));
    assertThat(cidr.prefix()).isEqualTo(24);
    assertThat(cidr.gateway()).isEqualTo(Ipv4.parse("10.77.0.1"));
    assertThat(cidr.network()).isEqualTo(Ipv4.parse("10.77.0.0"));
    assertThat(cidr.netmask()).isEqualTo(Ipv4.parse("255.255.255.0"));
    assertThat(cidr.broadcast()).isEqualTo(Ipv4.parse("10.77.0.255"));
    assertThat(cidr.firstHost()).isEqualTo(Ipv4.parse("10.77.0.1"));
    assertThat(cidr.lastHost()).isEqualTo(Ipv4.parse("10.77.0.254"));
    assertThat(cidr.hostCount()).isEqualTo(254);
    assertThat(cidr.networkCidr()).isEqualTo("10.77.0.0/24");
    assertThat(cidr).hasToString("10.77.0.1/24");
  }

  @Test
  void handlesPrefixesThatDoNotEndOnAnOctet() {
    Ipv4Cidr cidr = Ipv4Cidr.parse("172.16.5.130/26");
    assertThat(cidr.network()).isEqualTo(Ipv4.parse("172.16.5.128"));
    assertThat(cidr.netmask()).isEqualTo(Ipv4.parse("255.255.255.192"));
    assertThat(cidr.broadcast()).isEqualTo(Ipv4.parse("172.16.5.191"));
    assertThat(cidr.hostCount()).isEqualTo(62);
  }

  @Test
  void slash30HasTwoHostsAndSlash31And32None() {
    Ipv4Cidr thirty = Ipv4Cidr.parse("10.0.0.1/30");
    assertThat(thirty.hostCount()).isEqualTo(2);
    assertThat(thirty.firstHost()).isEqualTo(Ipv4.parse("10.0.0.1"));
    assertThat(thirty.lastHost()).isEqualTo(Ipv4.parse("10.0.0.2"));
    assertThat(Ipv4Cidr.parse("10.0.0.1/31").hostCount()).isZero();
    assertThat(Ipv4Cidr.parse("10.0.0.1/32").hostCount()).isZero();
    assertThat(Ipv4Cidr.parse("10.0.0.1/32").netmask()).isEqualTo(Ipv4.parse("255.255.255.255"));
  }

  @Test
  void slash0CoversEverything() {
    Ipv4Cidr all = Ipv4Cidr.parse("0.0.0.0/0");
    assertThat(all.netmask()).isEqualTo(Ipv4.parse("0.0.0.0"));
    assertThat(all.contains(Ipv4.parse("203.0.113.9"))).isTrue();
    assertThat(all.overlaps(Ipv4Cidr.parse("10.77.0.1/24"))).isTrue();
  }

  @Test
  void containsIsBoundedByTheNetwork() {
    Ipv4Cidr cidr = Ipv4Cidr.parse("10.77.0.1/24");
    assertThat(cidr.contains(Ipv4.parse("10.77.0.0"))).isTrue();
    assertThat(cidr.contains(Ipv4.parse("10.77.0.255"))).isTrue();
    assertThat(cidr.contains(Ipv4.parse("10.77.1.0"))).isFalse();
    assertThat(cidr.contains(Ipv4.parse("10.76.255.255"))).isFalse();
  }

  @Test
  void overlapsWhenOneContainsTheOtherOrTheyAreEqual() {
    Ipv4Cidr bridge = Ipv4Cidr.parse("10.77.0.1/24");
    assertThat(bridge.overlaps(Ipv4Cidr.parse("10.77.0.200/24"))).isTrue();
    assertThat(bridge.overlaps(Ipv4Cidr.parse("10.0.0.0/8"))).isTrue();
    assertThat(Ipv4Cidr.parse("10.0.0.0/8").overlaps(bridge)).isTrue();
    assertThat(bridge.overlaps(Ipv4Cidr.parse("10.77.0.128/25"))).isTrue();
    assertThat(bridge.overlaps(Ipv4Cidr.parse("10.77.1.1/24"))).isFalse();
    assertThat(bridge.overlaps(Ipv4Cidr.parse("192.168.0.1/16"))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "10.77.0.1",
        "10.77.0.1/",
        "10.77.0.1/33",
        "10.77.0.1/-1",
        "10.77.0.1/2a",
        "10.77.0/24",
        "/24",
        "10.77.0.1/024"
      })
  void refusesWhatIsNotAnAddressWithAPrefix(String text) {
    assertThatThrownBy(() -> Ipv4Cidr.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'");
  }
}
