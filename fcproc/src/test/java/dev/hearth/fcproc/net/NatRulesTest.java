package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Command;
import dev.hearth.core.testing.FakeRunner;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class NatRulesTest {
  private static final Ipv4Cidr CIDR = Ipv4Cidr.parse("10.77.0.1/24");

  private final FakeRunner runner = new FakeRunner();

  private static String stdin(Command c) {
    return new String(c.stdin().orElseThrow(), StandardCharsets.UTF_8);
  }

  @Test
  void prefersNftThenIptablesThenNothing() {
    assertThat(rules(new HostNetworkFakeEnvironment("nft", "iptables")).backend())
        .contains(NatBackend.NFTABLES);
    assertThat(rules(new HostNetworkFakeEnvironment("iptables")).backend())
        .contains(NatBackend.IPTABLES);
    assertThat(rules(new HostNetworkFakeEnvironment()).backend()).isEmpty();
  }

  @Test
  void withNeitherToolEnsureFailsClearlyAndRemoveHasNothingToDo() throws Exception {
    HostNetworkFakeEnvironment env = new HostNetworkFakeEnvironment();
    NatRules rules = rules(env);
    assertThatThrownBy(rules::ensure)
        .isInstanceOf(HostNetworkException.class)
        .hasMessageContaining("neither nft nor iptables is on PATH");
    rules.remove();
    assertThat(runner.argvs()).isEmpty();
    assertThat(env.sysctls()).isEmpty();
  }

  @Test
  void refusesTagsThatAreNotTableNames() {
    for (String bad : new String[] {"", "Hearth", "hearth rules", "1hearth", "hearth-x"}) {
      assertThatThrownBy(
              () ->
                  new NatRules(runner, new HostNetworkFakeEnvironment("nft"), "hearth0", CIDR, bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'");
    }
  }

  private NatRules rules(HostNetworkFakeEnvironment env) {
    return new NatRules(runner, env, "hearth0", CIDR);
  }

  @Nested
  class WithNftables {
    private final HostNetworkFakeEnvironment env =
        new HostNetworkFakeEnvironment("nft", "iptables");
    private final NatRules rules = rules(env);

    @Test
    void ensureReplacesHearthsOwnTableInOneTransactionAndEnablesForwarding() throws Exception {
      rules.ensure();
      rules.ensure();
      assertThat(runner.argvs())
          .containsExactly(List.of("nft", "-f", "-"), List.of("nft", "-f", "-"));
      String expected =
          """
          table ip hearth
          delete table ip hearth
          table ip hearth {
            chain postrouting {
              type nat hook postrouting priority srcnat; policy accept;
              ip saddr 10.77.0.0/24 oifname != "hearth0" masquerade
            }
            chain input {
              type filter hook input priority filter; policy accept;
              iifname "hearth0" ct state established,related accept
              iifname "hearth0" meta l4proto { tcp, udp } th dport 53 accept
              iifname "hearth0" icmp type echo-request accept
              iifname "hearth0" drop
            }
            chain forward {
              type filter hook forward priority filter; policy accept;
              iifname "hearth0" ip daddr 169.254.0.0/16 drop
              iifname "hearth0" accept
              oifname "hearth0" ct state established,related accept
            }
          }
          """;
      assertThat(runner.commands()).allSatisfy(c -> assertThat(stdin(c)).isEqualTo(expected));
      assertThat(env.sysctls()).isEqualTo(Map.of("net.ipv4.ip_forward", "1"));
    }

    @Test
    void removeDeletesOnlyHearthsTablesAndToleratesThemBeingGone() throws Exception {
      rules.remove();
      assertThat(runner.argvs())
          .containsExactly(
              List.of("nft", "-f", "-"), List.of("nft", "-f", "-"), List.of("nft", "-f", "-"));
      assertThat(stdin(runner.commands().get(0)))
          .isEqualTo("table ip hearth\ndelete table ip hearth\n");
      assertThat(stdin(runner.commands().get(1)))
          .as("the TAP guards' table")
          .isEqualTo("table bridge hearth\ndelete table bridge hearth\n");
      assertThat(stdin(runner.commands().get(2)))
          .as("the egress policies' table")
          .isEqualTo("table ip hearth_egress\ndelete table ip hearth_egress\n");
      assertThat(env.sysctls()).isEmpty();
    }

    @Test
    void usesTheGivenTagAsTheTableName() throws Exception {
      new NatRules(runner, env, "hbt1", CIDR, "hearth_test_ab12").remove();
      assertThat(stdin(runner.commands().get(0)))
          .isEqualTo("table ip hearth_test_ab12\ndelete table ip hearth_test_ab12\n");
    }

    @Test
    void aFailedTransactionIsAHostErrorAndLeavesForwardingAlone() {
      runner.on(List.of("nft"), 1, "", "Error: Could not process rule: Operation not supported\n");
      assertThatThrownBy(rules::ensure)
          .isInstanceOf(HostNetworkException.class)
          .hasMessageContaining("could not install the NAT rules (nft table ip hearth)")
          .hasMessageContaining("Operation not supported");
      assertThat(env.sysctls()).isEmpty();
    }
  }

  @Nested
  class WithIptables {
    private static final List<String> LIST_NAT = List.of("iptables", "-w", "-t", "nat", "-S");
    private static final List<String> LIST_FILTER = List.of("iptables", "-w", "-t", "filter", "-S");
    private static final String MASQUERADE =
        "-A POSTROUTING -s 10.77.0.0/24 ! -o hearth0 -m comment --comment hearth -j MASQUERADE";
    private static final String FORWARD_OUT =
        "-A FORWARD -i hearth0 -m comment --comment hearth -j ACCEPT";
    private static final String FORWARD_BACK =
        "-A FORWARD -o hearth0 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment"
            + " hearth -j ACCEPT";

    private final HostNetworkFakeEnvironment env = new HostNetworkFakeEnvironment("iptables");
    private final NatRules rules = rules(env);

    private List<String> argv(String head, String listed) {
      List<String> words = new java.util.ArrayList<>(List.of(head.split(" ")));
      words.addAll(NatIptables.words(listed).subList(1, NatIptables.words(listed).size()));
      return words;
    }

    @Test
    void ensureAddsEachMissingRuleTaggedWithAComment() throws Exception {
      runner.on(LIST_NAT, 0, "-P PREROUTING ACCEPT\n-P POSTROUTING ACCEPT\n", "");
      runner.on(LIST_FILTER, 0, "-P INPUT ACCEPT\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n", "");
      rules.ensure();
      assertThat(runner.argvs())
          .containsExactly(
              LIST_NAT,
              List.of(
                  "iptables",
                  "-w",
                  "-t",
                  "nat",
                  "-A",
                  "POSTROUTING",
                  "-s",
                  "10.77.0.0/24",
                  "!",
                  "-o",
                  "hearth0",
                  "-m",
                  "comment",
                  "--comment",
                  "hearth",
                  "-j",
                  "MASQUERADE"),
              LIST_FILTER,
              List.of(
                  "iptables",
                  "-w",
                  "-t",
                  "filter",
                  "-I",
                  "FORWARD",
                  "-i",
                  "hearth0",
                  "-m",
                  "comment",
                  "--comment",
                  "hearth",
                  "-j",
                  "ACCEPT"),
              List.of(
                  "iptables",
                  "-w",
                  "-t",
                  "filter",
                  "-I",
                  "FORWARD",
                  "-o",
                  "hearth0",
                  "-m",
                  "conntrack",
                  "--ctstate",
                  "RELATED,ESTABLISHED",
                  "-m",
                  "comment",
                  "--comment",
                  "hearth",
                  "-j",
                  "ACCEPT"));
      assertThat(env.sysctls()).isEqualTo(Map.of("net.ipv4.ip_forward", "1"));
    }

    @Test
    void ensureWithTheRulesInPlaceOnlyLists() throws Exception {
      runner.on(LIST_NAT, 0, "-P POSTROUTING ACCEPT\n" + MASQUERADE + "\n", "");
      runner.on(
          LIST_FILTER, 0, "-P FORWARD ACCEPT\n" + FORWARD_BACK + "\n" + FORWARD_OUT + "\n", "");
      rules.ensure();
      assertThat(runner.argvs()).containsExactly(LIST_NAT, LIST_FILTER);
    }

    @Test
    void ensureDeletesStaleAndDuplicateTaggedRulesButNoOtherRules() throws Exception {
      String stale =
          "-A POSTROUTING -s 10.66.0.0/24 ! -o hearth0 -m comment --comment hearth -j MASQUERADE";
      String someoneElses = "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE";
      String otherTag =
          "-A POSTROUTING -s 10.77.0.0/24 ! -o hearth0 -m comment --comment hearth2 -j MASQUERADE";
      String quoted = "-A FORWARD -i br0 -m comment --comment \"not hearth\" -j ACCEPT";
      runner.on(
          LIST_NAT,
          0,
          String.join(
                  "\n",
                  "-P POSTROUTING ACCEPT",
                  stale,
                  someoneElses,
                  MASQUERADE,
                  otherTag,
                  MASQUERADE)
              + "\n",
          "");
      runner.on(LIST_FILTER, 0, String.join("\n", quoted, FORWARD_OUT, FORWARD_BACK) + "\n", "");
      rules.ensure();
      assertThat(runner.argvs())
          .containsExactly(
              LIST_NAT,
              argv("iptables -w -t nat -D", stale),
              argv("iptables -w -t nat -D", MASQUERADE),
              LIST_FILTER);
    }

    @Test
    void removeDeletesExactlyTheTaggedRulesBySpec() throws Exception {
      String otherTag = "-A FORWARD -i hearth0 -m comment --comment hearth_other -j ACCEPT";
      String quoted = "-A FORWARD -i br0 -m comment --comment \"hearth\\\" x\" -j ACCEPT";
      runner.on(LIST_NAT, 0, "-P POSTROUTING ACCEPT\n" + MASQUERADE + "\n", "");
      runner.on(
          LIST_FILTER,
          0,
          String.join("\n", "-P FORWARD ACCEPT", FORWARD_BACK, otherTag, quoted, FORWARD_OUT)
              + "\n",
          "");
      rules.remove();
      assertThat(runner.argvs())
          .containsExactly(
              LIST_NAT,
              List.of(
                  "iptables",
                  "-w",
                  "-t",
                  "nat",
                  "-D",
                  "POSTROUTING",
                  "-s",
                  "10.77.0.0/24",
                  "!",
                  "-o",
                  "hearth0",
                  "-m",
                  "comment",
                  "--comment",
                  "hearth",
                  "-j",
                  "MASQUERADE"),
              LIST_FILTER,
              List.of(
                  "iptables",
                  "-w",
                  "-t",
                  "filter",
                  "-D",
                  "FORWARD",
                  "-o",
                  "hearth0",
                  "-m",
                  "conntrack",
                  "--ctstate",
                  "RELATED,ESTABLISHED",
                  "-m",
                  "comment",
                  "--comment",
                  "hearth",
                  "-j",
                  "ACCEPT"),
              List.of(
                  "iptables",
                  "-w",
                  "-t",
                  "filter",
                  "-D",
                  "FORWARD",
                  "-i",
                  "hearth0",
                  "-m",
                  "comment",
                  "--comment",
                  "hearth",
                  "-j",
                  "ACCEPT"));
      assertThat(env.sysctls()).isEmpty();
    }

    @Test
    void aFailedListingIsAHostError() {
      runner.on(LIST_NAT, 3, "", "iptables v1.8.9: can't initialize iptables table `nat'\n");
      assertThatThrownBy(rules::remove)
          .isInstanceOf(HostNetworkException.class)
          .hasMessageContaining("could not list iptables table nat")
          .hasMessageContaining("exit code 3");
    }

    @Test
    void splitsListedLinesAsIptablesSaveQuotesThem() {
      assertThat(NatIptables.words("-A FORWARD -m comment --comment \"a \\\"b\\\" c\" -j ACCEPT"))
          .containsExactly(
              "-A", "FORWARD", "-m", "comment", "--comment", "a \"b\" c", "-j", "ACCEPT");
      assertThat(NatIptables.words("  -A  X\t-j Y ")).containsExactly("-A", "X", "-j", "Y");
      assertThat(NatIptables.words("--comment \"\"")).containsExactly("--comment", "");
    }
  }
}
