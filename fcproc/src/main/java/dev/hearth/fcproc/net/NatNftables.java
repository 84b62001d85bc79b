package dev.hearth.fcproc.net;

import dev.hearth.core.Command;

/**
 * hearth's NAT rules as an nftables table of its own, with what guests may reach: on the host
 * (input from the bridge) only replies to connections the host opened (SSH to the guests), DNS on
 * port 53 (the VM DNS to come) and ping; forwarded, anything but link-local 169.254.0.0/16 (cloud
 * metadata services live there). Both operations are one {@code nft -f -} transaction that first
 * declares the table and then deletes it, so that neither fails when the table is missing and the
 * new rules replace the old ones atomically.
 */
final class NatNftables {
  private final HostNetworkCommands commands;
  private final String table;
  private final String bridge;
  private final Ipv4Cidr cidr;

  NatNftables(HostNetworkCommands commands, String table, String bridge, Ipv4Cidr cidr) {
    this.commands = commands;
    this.table = table;
    this.bridge = bridge;
    this.cidr = cidr;
  }

  void ensure() throws InterruptedException {
    commands.check("could not install the NAT rules (nft table ip " + table + ")", nft(ruleset()));
  }

  void remove() throws InterruptedException {
    commands.check("could not remove the NAT rules (nft table ip " + table + ")", nft(dropTable()));
  }

  /** Deletes the TAP guards' table of the same name ({@link TapGuards}), if there is one. */
  void removeGuards() throws InterruptedException {
    commands.check(
        "could not remove the TAP guards (nft table bridge " + table + ")",
        nft("table bridge " + table + "\ndelete table bridge " + table + "\n"));
  }

  /** Deletes the egress policies' table ({@link EgressRules}), if there is one. */
  void removeEgress() throws InterruptedException {
    String egress = table + "_egress";
    commands.check(
        "could not remove the egress policies (nft table ip " + egress + ")",
        nft("table ip " + egress + "\ndelete table ip " + egress + "\n"));
  }

  String ruleset() {
    return dropTable()
        + """
          table ip %1$s {
            chain postrouting {
              type nat hook postrouting priority srcnat; policy accept;
              ip saddr %2$s oifname != "%3$s" masquerade
            }
            chain input {
              type filter hook input priority filter; policy accept;
              iifname "%3$s" ct state established,related accept
              iifname "%3$s" meta l4proto { tcp, udp } th dport 53 accept
              iifname "%3$s" icmp type echo-request accept
              iifname "%3$s" drop
            }
            chain forward {
              type filter hook forward priority filter; policy accept;
              iifname "%3$s" ip daddr 169.254.0.0/16 drop
              iifname "%3$s" accept
              oifname "%3$s" ct state established,related accept
            }
          }
          """
            .formatted(table, cidr.networkCidr(), bridge);
  }

  private String dropTable() {
    return "table ip " + table + "\n" + "delete table ip " + table + "\n";
  }

  private static Command nft(String script) {
    return Command.builder("nft").args("-f", "-").stdin(script).build();
  }
}
