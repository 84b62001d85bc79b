package dev.hearth.fcproc.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.LinuxHostProbe;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.fcproc.net.Ipv4;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResolvedLinkTest {
  private final FakeRunner runner = new FakeRunner();
  private final ResolvedLink link = new ResolvedLink(runner, LinuxHostProbe.system());

  @Test
  void registerRoutesTheDomainToTheBridgeAndRevertTakesItBack() throws Exception {
    link.register("hearth0", Ipv4.parse("10.77.0.1"), "hearth.internal");
    link.revert("hearth0");

    assertThat(runner.argvs())
        .containsExactly(
            List.of("resolvectl", "dns", "hearth0", "10.77.0.1:53"),
            List.of("resolvectl", "domain", "hearth0", "~hearth.internal"),
            List.of("resolvectl", "revert", "hearth0"));
  }

  @Test
  void aFailingCommandIsADnsExceptionNamingIt() {
    runner.on(List.of("resolvectl", "dns"), 1, "", "Failed to set DNS configuration: no link");

    assertThatThrownBy(() -> link.register("hearth0", Ipv4.parse("10.77.0.1"), "hearth.internal"))
        .isInstanceOf(DnsException.class)
        .hasMessageContaining("resolvectl dns hearth0 10.77.0.1:53")
        .hasMessageContaining("no link");
  }

  @Test
  void theManualCommandNamesBothSteps() {
    assertThat(ResolvedLink.manualCommand("hearth0", Ipv4.parse("10.77.0.1"), "hearth.internal"))
        .startsWith(
            "resolvectl dns hearth0 10.77.0.1:53 && resolvectl domain hearth0 '~hearth.internal'");
  }
}
