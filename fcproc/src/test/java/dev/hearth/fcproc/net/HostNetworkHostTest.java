package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Creates a real bridge, TAPs and nftables rules under names unique to the run, checks them with
 * {@code ip -j} and {@code nft -j}, and removes them (also when a test fails).
 */
@RequiresRoot
@RequiresBinary({"ip", "nft"})
class HostNetworkHostTest {
  @TempDir Path sysctls;

  private HostNetworkHostFixture host;

  @BeforeEach
  void setUp() throws Exception {
    host = new HostNetworkHostFixture();
    Files.createDirectories(sysctls.resolve("net/ipv4"));
  }

  @AfterEach
  void cleanUp() throws Exception {
    host.cleanUp();
  }

  @Test
  void bridgeAndTapsAppearAttachedAndDisappear() throws Exception {
    Bridge bridge = new Bridge(host.runner, host.bridgeName, host.cidr);
    TapDevices taps = new TapDevices(host.runner, host.tapPrefix);

    assertThat(bridge.ensure()).isEqualTo(Bridge.Ensured.CREATED);
    JsonNode link = host.link(host.bridgeName).orElseThrow();
    assertThat(link.path("linkinfo").path("info_kind").asText()).isEqualTo("bridge");
    assertThat(HostNetworkHostFixture.hasFlag(link, "UP")).isTrue();
    assertThat(bridge.ensure()).isEqualTo(Bridge.Ensured.ADOPTED);
    assertThat(bridge.inspect().orElseThrow().addresses()).containsExactly(host.cidr);
    assertThat(ipv4Addresses(host.bridgeName)).containsExactly(host.cidr.toString());

    String first = taps.name(0);
    String second = taps.name(7);
    taps.create(first, host.bridgeName);
    taps.create(second, host.bridgeName);
    for (String tap : List.of(first, second)) {
      JsonNode dev = host.link(tap).orElseThrow();
      assertThat(dev.path("master").asText()).as(tap + " master").isEqualTo(host.bridgeName);
      assertThat(dev.path("linkinfo").path("info_kind").asText()).isEqualTo("tun");
      assertThat(HostNetworkHostFixture.hasFlag(dev, "UP")).as(tap + " up").isTrue();
    }
    assertThat(taps.list()).containsExactlyInAnyOrder(first, second);

    taps.delete(first);
    taps.delete(first);
    assertThat(host.link(first)).isEmpty();
    assertThat(taps.list()).containsExactly(second);

    bridge.remove();
    bridge.remove();
    assertThat(host.link(host.bridgeName)).isEmpty();
    assertThat(bridge.inspect()).isEmpty();
    // Deleting the bridge detaches its TAPs; they stay for the daemon to delete.
    assertThat(host.link(second).orElseThrow().has("master")).isFalse();
    taps.delete(second);
    assertThat(taps.list()).isEmpty();
  }

  @Test
  void aTapThatCannotBeAttachedIsNotLeftBehind() throws Exception {
    TapDevices taps = new TapDevices(host.runner, host.tapPrefix);
    String tap = taps.name(1);
    // The bridge was never created, so attaching fails after the TAP exists.
    assertThatThrownBy(() -> taps.create(tap, host.bridgeName))
        .isInstanceOf(HostNetworkException.class)
        .hasMessageContaining("could not attach TAP " + tap + " to bridge " + host.bridgeName);
    assertThat(host.link(tap)).isEmpty();
    assertThat(taps.list()).isEmpty();
  }

  @Test
  void nftRulesAppearOnceAndRemovalTakesExactlyThem() throws Exception {
    NatRules rules =
        new NatRules(
            host.runner, host.environment(sysctls, false), host.bridgeName, host.cidr, host.natTag);
    NatRules others =
        new NatRules(
            host.runner,
            host.environment(sysctls, false),
            host.bridgeName,
            host.cidr,
            host.natTag + "_other");
    assertThat(rules.backend()).contains(NatBackend.NFTABLES);

    rules.ensure();
    rules.ensure();
    others.ensure();
    assertThat(host.nftObjects("table", host.natTag)).hasSize(1);
    assertThat(host.nftObjects("chain", host.natTag))
        .extracting(c -> c.path("name").asText() + ":" + c.path("hook").asText())
        .containsExactlyInAnyOrder("postrouting:postrouting", "input:input", "forward:forward");
    List<JsonNode> installed = host.nftObjects("rule", host.natTag);
    assertThat(installed).hasSize(8);
    JsonNode masquerade =
        installed.stream()
            .filter(r -> r.path("chain").asText().equals("postrouting"))
            .findFirst()
            .orElseThrow();
    assertThat(masquerade.toString())
        .contains("\"masquerade\"")
        .contains("\"addr\":\"" + host.cidr.network() + "\",\"len\":24")
        .contains("\"right\":\"" + host.bridgeName + "\"");
    assertThat(Files.readString(sysctls.resolve("net/ipv4/ip_forward"))).isEqualTo("1\n");

    rules.remove();
    rules.remove();
    assertThat(host.nftObjects("table", host.natTag)).isEmpty();
    assertThat(host.nftObjects("rule", host.natTag)).isEmpty();
    assertThat(host.nftObjects("rule", host.natTag + "_other")).hasSize(8);
    others.remove();
    assertThat(host.nftObjects("table", host.natTag + "_other")).isEmpty();
  }

  private List<String> ipv4Addresses(String device) throws InterruptedException {
    List<String> addresses = new ArrayList<>();
    for (JsonNode dev : host.json("ip", "-j", "addr", "show", "dev", device)) {
      for (JsonNode addr : dev.path("addr_info")) {
        if (addr.path("family").asText().equals("inet")) {
          addresses.add(addr.path("local").asText() + "/" + addr.path("prefixlen").asInt());
        }
      }
    }
    return addresses;
  }
}
