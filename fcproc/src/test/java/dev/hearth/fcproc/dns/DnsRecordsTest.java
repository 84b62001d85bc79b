package dev.hearth.fcproc.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.fcproc.net.Ipv4;
import org.junit.jupiter.api.Test;

class DnsRecordsTest {
  private final DnsRecords records = new DnsRecords();

  @Test
  void namesResolveInAnyCaseUntilRemoved() {
    records.put("demo", Ipv4.parse("10.77.0.2"));

    assertThat(records.address("DeMo")).contains(Ipv4.parse("10.77.0.2"));
    assertThat(records.name(Ipv4.parse("10.77.0.2"))).contains("demo");

    records.remove("demo");

    assertThat(records.address("demo")).isEmpty();
    assertThat(records.name(Ipv4.parse("10.77.0.2"))).isEmpty();
  }

  @Test
  void putReplacesAnEarlierAddressAndRemovingAnUnknownNameIsNoError() {
    records.put("demo", Ipv4.parse("10.77.0.2"));
    records.put("demo", Ipv4.parse("10.77.0.3"));
    records.remove("other");

    assertThat(records.address("demo")).contains(Ipv4.parse("10.77.0.3"));
    assertThat(records.name(Ipv4.parse("10.77.0.2"))).isEmpty();
  }
}
