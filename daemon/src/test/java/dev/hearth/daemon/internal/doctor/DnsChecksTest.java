package dev.hearth.daemon.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.ConfigKey;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorCheck.Status;
import org.junit.jupiter.api.Test;

/** {@link dev.hearth.fcproc.dns.DnsChecks} in the doctor: upstream resolvers, host resolution. */
class DnsChecksTest extends DoctorFixture {
  @Test
  void answeringUpstreamsPass() throws Exception {
    DoctorCheck upstream = check("dns-upstream");

    assertThat(upstream.status()).isEqualTo(Status.PASS);
    assertThat(upstream.detail()).isEqualTo("the upstream resolvers answer: 192.0.2.1:53");
  }

  @Test
  void aDeadUpstreamWarnsNamingIt() throws Exception {
    config = config.with(ConfigKey.DNS_UPSTREAM, "192.0.2.1,192.0.2.9:5353");
    deadUpstreams.add("192.0.2.9:5353");

    DoctorCheck upstream = check("dns-upstream");

    assertThat(upstream.status()).isEqualTo(Status.WARN);
    assertThat(upstream.detail())
        .isEqualTo(
            "upstream resolver(s) 192.0.2.9:5353 did not answer (of 192.0.2.1:53, 192.0.2.9:5353)");
  }

  @Test
  void theResolvedStubIsReplacedByItsUpstreams() throws Exception {
    probe
        .text("/etc/resolv.conf", "# stub\nnameserver 127.0.0.53\noptions edns0\n")
        .file("/run/systemd/resolve/resolv.conf", 0644, 0)
        .text("/run/systemd/resolve/resolv.conf", "nameserver 192.0.2.7\nnameserver 192.0.2.8\n");

    assertThat(check("dns-upstream").detail())
        .isEqualTo("the upstream resolvers answer: 192.0.2.7:53, 192.0.2.8:53");
  }

  @Test
  void noUpstreamAtAllWarns() throws Exception {
    probe.text("/etc/resolv.conf", "search example.org\n");

    DoctorCheck upstream = check("dns-upstream");

    assertThat(upstream.status()).isEqualTo(Status.WARN);
    assertThat(upstream.fix()).contains("dns_upstream");
  }

  @Test
  void withSystemdResolvedTheHostResolvesVmNames() throws Exception {
    DoctorCheck host = check("dns-host");

    assertThat(host.status()).isEqualTo(Status.PASS);
    assertThat(host.detail())
        .isEqualTo(
            "systemd-resolved: the daemon routes hearth.internal to the VM DNS on hearth0;"
                + " dig @127.0.0.1 -p 10053 <vm>.hearth.internal answers too");
  }

  @Test
  void withoutSystemdResolvedDoctorSaysHowToRouteTheDomain() throws Exception {
    probe.onPath("resolvectl", null);

    DoctorCheck host = check("dns-host");

    assertThat(host.status()).isEqualTo(Status.WARN);
    assertThat(host.detail())
        .isEqualTo(
            "no systemd-resolved: the host does not resolve <vm>.hearth.internal by itself;"
                + " dig @127.0.0.1 -p 10053 <vm>.hearth.internal answers");
    assertThat(host.fix())
        .startsWith(
            "resolvectl dns hearth0 10.77.0.1:53 && resolvectl domain hearth0 '~hearth.internal'");
  }
}
