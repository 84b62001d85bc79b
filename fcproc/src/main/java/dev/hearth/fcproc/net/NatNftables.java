package dev.hearth.fcproc.net;

import dev.hearth.core.Command;

/**
 * hearth's NAT rules as an nftables table of its own. Both operations are one {@code nft -f -}
 * transaction that first declares the table and then deletes it, so that neither fails when the
 * table is missing and the new rules replace the old ones atomically.
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

  String ruleset() {
    return dropTable()
        + """
          table ip %1$s {
            chain postrouting {
              type nat hook postrouting priority srcnat; policy accept;
              ip saddr %2$s oifname != "%3$s" masquerade
            }
            chain forward {
              type filter hook forward priority filter; policy accept;
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
