package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4Test {

  @Test
  void parsesAndPrintsDottedQuads() {
    Ipv4 ip = Ipv4.parse("10.77.0.2");
    assertThat(ip.bits()).isEqualTo(0x0a4d0002);
    assertThat(ip.octets()).containsExactly(10, 77, 0, 2);
    assertThat(ip).hasToString("10.77.0.2");
    assertThat(Ipv4.parse("255.255.255.255")).hasToString("255.255.255.255");
    assertThat(Ipv4.parse("0.0.0.0")).isEqualTo(Ipv4.of(0, 0, 0, 0));
    assertThat(Ipv4.of(192, 168, 1, 200)).isEqualTo(Ipv4.parse("192.168.1.200"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "10.77.0",
        "10.77.0.2.1",
        "10.77.0.256",
        "10.77.0.-1",
        "10.77..2",
        "a.b.c.d",
        "010.77.0.2",
        "10.77.0.2 ",
        "1000.0.0.1",
        "10.77.0.+2"
      })
  void refusesWhatIsNotADottedQuad(String text) {
    assertThatThrownBy(() -> Ipv4.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'");
  }

  @Test
  void ordersAsUnsignedNumbers() {
    assertThat(Ipv4.parse("10.0.0.2")).isLessThan(Ipv4.parse("10.0.0.10"));
    assertThat(Ipv4.parse("128.0.0.0")).isGreaterThan(Ipv4.parse("127.255.255.255"));
  }

  @Test
  void stepsAcrossOctetsAndFormatsHex() {
    assertThat(Ipv4.parse("10.77.0.255").plus(1)).isEqualTo(Ipv4.parse("10.77.1.0"));
    assertThat(Ipv4.parse("10.77.1.0").plus(-1)).isEqualTo(Ipv4.parse("10.77.0.255"));
    assertThat(Ipv4.parse("10.77.0.2").toHexColons()).isEqualTo("0a:4d:00:02");
    assertThat(Ipv4.parse("192.168.255.1").toHexColons()).isEqualTo("c0:a8:ff:01");
  }

  @Test
  void refusesOctetsOutOfRange() {
    assertThatThrownBy(() -> Ipv4.of(10, 256, 0, 1)).hasMessageContaining("256");
  }
}
