package dev.hearth.fcproc.net;

/** The firewall tool that carries hearth's NAT rules. */
public enum NatBackend {
  /** {@code nft}: one table of hearth's own, replaced and deleted as a whole. */
  NFTABLES,
  /**
   * {@code iptables}, where nft is missing: rules in the shared tables, each carrying a comment
   * tag.
   */
  IPTABLES
}
