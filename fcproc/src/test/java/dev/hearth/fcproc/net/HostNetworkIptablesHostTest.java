package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Command;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The iptables fallback on the real host (nft hidden from the lookup): rules tagged with a tag
 * unique to the run appear once and removal deletes exactly them.
 */
@RequiresRoot
@RequiresBinary({"ip", "iptables"})
class HostNetworkIptablesHostTest {
  @TempDir Path sysctls;

  private HostNetworkHostFixture host;
  private NatRules rules;
  private List<String> foreignRule;

  @BeforeEach
  void setUp() throws Exception {
    host = new HostNetworkHostFixture();
    Files.createDirectories(sysctls.resolve("net/ipv4"));
    rules =
        new NatRules(
            host.runner, host.environment(sysctls, true), host.bridgeName, host.cidr, host.natTag);
    // A rule of someone else's on the same bridge network, with a tag that merely starts like ours.
    foreignRule =
        List.of(
            "-s",
            host.cidr.networkCidr(),
            "-m",
            "comment",
            "--comment",
            host.natTag + "x",
            "-j",
            "RETURN");
  }

  @AfterEach
  void cleanUp() throws Exception {
    try {
      rules.remove();
      host.runner.run(Command.of(iptables("nat", "-D", "POSTROUTING", foreignRule)));
    } finally {
      host.cleanUp();
    }
  }

  @Test
  void taggedRulesAppearOnceAndOnlyTheyAreRemoved() throws Exception {
    assertThat(rules.backend()).contains(NatBackend.IPTABLES);
    host.runner.check(Command.of(iptables("nat", "-A", "POSTROUTING", foreignRule)));

    rules.ensure();
    rules.ensure();
    assertThat(tagged("nat", host.natTag))
        .containsExactly(
            "-A POSTROUTING -s "
                + host.cidr.networkCidr()
                + " ! -o "
                + host.bridgeName
                + " -m comment --comment "
                + host.natTag
                + " -j MASQUERADE");
    assertThat(tagged("filter", host.natTag))
        .containsExactlyInAnyOrder(
            "-A FORWARD -i "
                + host.bridgeName
                + " -m comment --comment "
                + host.natTag
                + " -j ACCEPT",
            "-A FORWARD -o "
                + host.bridgeName
                + " -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "
                + host.natTag
                + " -j ACCEPT");
    assertThat(Files.readString(sysctls.resolve("net/ipv4/ip_forward"))).isEqualTo("1\n");

    rules.remove();
    assertThat(tagged("nat", host.natTag)).isEmpty();
    assertThat(tagged("filter", host.natTag)).isEmpty();
    assertThat(tagged("nat", host.natTag + "x")).hasSize(1);
  }

  private List<String> tagged(String table, String tag) throws InterruptedException {
    String listing = host.runner.check(Command.of("iptables", "-w", "-t", table, "-S")).stdout();
    return Arrays.stream(listing.split("\n"))
        .filter(
            line ->
                line.endsWith("--comment " + tag + " -j MASQUERADE")
                    || line.endsWith("--comment " + tag + " -j ACCEPT")
                    || line.endsWith("--comment " + tag + " -j RETURN"))
        .toList();
  }

  private static List<String> iptables(String table, String op, String chain, List<String> spec) {
    List<String> argv =
        new java.util.ArrayList<>(List.of("iptables", "-w", "-t", table, op, chain));
    argv.addAll(spec);
    return argv;
  }
}
