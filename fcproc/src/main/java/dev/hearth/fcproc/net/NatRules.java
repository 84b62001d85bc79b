package dev.hearth.fcproc.net;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.Runner;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outbound NAT for the guests: traffic from the bridge network leaving through any other interface
 * is masqueraded, and forwarding from the bridge (and replies back to it) is accepted. Also turns
 * on {@code net.ipv4.ip_forward}, which {@link #remove()} leaves on since other software may rely
 * on it.
 *
 * <p>Every rule is tagged so hearth removes exactly its own: with nftables the rules live in a
 * table of hearth's own ({@code table ip <tag>}), replaced atomically by {@link #ensure()} and
 * deleted whole by {@link #remove()}; with iptables (used only when {@code nft} is not on PATH)
 * each rule carries {@code -m comment --comment <tag>} and removal deletes exactly the rules with
 * that comment. {@link #ensure()} is idempotent with both: running it again never duplicates a
 * rule, and it replaces rules of an older bridge network.
 *
 * <p>With nftables the forward accepts cannot override a drop in another table's forward chain (a
 * packet must pass every base chain of a hook); with iptables they are inserted at the head of
 * {@code FORWARD}, ahead of other rules.
 */
public final class NatRules {
  private static final Logger log = LoggerFactory.getLogger(NatRules.class);

  /** The default of the daemon's {@code network_tag}: its nft tables' name, iptables comment. */
  public static final String DEFAULT_TAG = "hearth";

  // A valid nft table name and an iptables comment that needs no quoting.
  private static final Pattern TAG = Pattern.compile("[a-z][a-z0-9_]{0,30}");

  private final HostNetworkEnvironment environment;
  private final String tag;
  private final Optional<NatBackend> backend;
  private final NatNftables nftables;
  private final NatIptables iptables;

  public NatRules(Runner runner, HostNetworkEnvironment environment, String bridge, Ipv4Cidr cidr) {
    this(runner, environment, bridge, cidr, DEFAULT_TAG);
  }

  /**
   * @param bridge the bridge device the guests sit behind
   * @param cidr the bridge's address and prefix; the rules cover its whole network
   * @param tag 1 to 31 lowercase letters, digits or '_', starting with a letter; tests use their
   *     own so they never touch the daemon's rules
   */
  public NatRules(
      Runner runner, HostNetworkEnvironment environment, String bridge, Ipv4Cidr cidr, String tag) {
    requireNonNull(runner, "runner");
    this.environment = requireNonNull(environment, "environment");
    HostNetworkCommands.checkInterfaceName(bridge, "bridge");
    requireNonNull(cidr, "cidr");
    if (!TAG.matcher(tag).matches()) {
      throw new IllegalArgumentException(
          "NAT rule tag must be 1 to 31 lowercase letters, digits or '_', starting with a letter: '"
              + tag
              + "'");
    }
    this.tag = tag;
    if (environment.findProgram("nft").isPresent()) {
      backend = Optional.of(NatBackend.NFTABLES);
    } else if (environment.findProgram("iptables").isPresent()) {
      backend = Optional.of(NatBackend.IPTABLES);
    } else {
      backend = Optional.empty();
    }
    HostNetworkCommands commands = new HostNetworkCommands(runner);
    this.nftables = new NatNftables(commands, tag, bridge, cidr);
    this.iptables = new NatIptables(commands, tag, bridge, cidr);
  }

  /** The tool in use: nft when it is on PATH, else iptables, else none. */
  public Optional<NatBackend> backend() {
    return backend;
  }

  public String tag() {
    return tag;
  }

  /**
   * Installs the rules (or brings them up to date) and enables IPv4 forwarding.
   *
   * @throws HostNetworkException when neither nft nor iptables is on PATH, a command fails, or
   *     forwarding cannot be enabled
   */
  public void ensure() throws InterruptedException {
    NatBackend tool =
        backend.orElseThrow(
            () ->
                new HostNetworkException(
                    "cannot set up NAT for the guests: neither nft nor iptables is on PATH"
                        + " (install nftables)"));
    if (tool == NatBackend.NFTABLES) {
      nftables.ensure();
    } else {
      iptables.ensure();
    }
    environment.writeSysctl("net.ipv4.ip_forward", "1");
    log.info("NAT rules '{}' in place with {}", tag, tool);
  }

  /**
   * Removes exactly the rules with this tag, the TAP guards' table of the same name ({@code table
   * bridge <tag>}, see {@link TapGuards}) and the egress table ({@code table ip <tag>_egress}, see
   * {@link EgressRules}), the rest of hearth's host setup; when there are none, does nothing.
   */
  public void remove() throws InterruptedException {
    if (backend.isEmpty()) {
      log.debug("neither nft nor iptables on PATH, so there are no NAT rules '{}' to remove", tag);
      return;
    }
    if (backend.get() == NatBackend.NFTABLES) {
      nftables.remove();
      nftables.removeGuards();
      nftables.removeEgress();
    } else {
      iptables.remove();
    }
  }
}
