package dev.hearth.fcproc.net;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guests' side of the bridge, held to what hearth gave each VM: an nftables table of hearth's
 * own in the bridge family ({@code table bridge <tag>}), which sees every frame a TAP hands the
 * bridge before it is forwarded or delivered to the host.
 *
 * <ul>
 *   <li>{@code prerouting}: a frame from a guarded TAP jumps to that TAP's chain ({@code
 *       guard_<tap>}, through the verdict map {@code guards}); a frame from any other TAP of
 *       hearth's prefix (a pooled TAP, a stopped VM's) is dropped.
 *   <li>{@code guard_<tap>}: the Ethernet source must be the VM's MAC; ARP must name the VM's MAC
 *       and IP as sender (so no guest answers for another's address or the gateway's); IPv4 must
 *       come from the VM's IP; every other EtherType (IPv6, VLAN tags, ...) is dropped: hearth
 *       gives guests no IPv6 route, so their link-local chatter has nowhere to go.
 *   <li>{@code forward}: unless VM-to-VM traffic is allowed, a frame from one hearth TAP to another
 *       is dropped (the guests still reach the gateway, and through NAT the outside).
 * </ul>
 *
 * <p>{@link #ensure()} declares the table and rewrites its two base chains without touching the
 * guards, so it is safe while VMs run. Each guard is added or removed in one {@code nft -f -}
 * transaction. The table stays when the daemon stops, like the bridge and NAT: VMs keep running
 * then and must stay guarded; {@link #remove()} deletes it whole.
 */
public final class TapGuards {
  private static final Logger log = LoggerFactory.getLogger(TapGuards.class);

  // Same rule as NatRules' tag: a valid nft table name.
  private static final Pattern TAG = Pattern.compile("[a-z][a-z0-9_]{0,30}");

  private final HostNetworkCommands commands;
  private final HostNetworkEnvironment environment;
  private final String table;
  private final TapDevices names;
  private final boolean vmToVm;

  /**
   * @param tag the table's name (the daemon's {@code network_tag})
   * @param taps the TAP names whose frames are filtered
   * @param vmToVm whether guests may send frames to each other ({@code vm_to_vm = "allow"})
   */
  public TapGuards(
      Runner runner,
      HostNetworkEnvironment environment,
      String tag,
      TapDevices taps,
      boolean vmToVm) {
    this.commands = new HostNetworkCommands(requireNonNull(runner, "runner"));
    this.environment = requireNonNull(environment, "environment");
    if (!TAG.matcher(tag).matches()) {
      throw new IllegalArgumentException(
          "TAP guard table name must be 1 to 31 lowercase letters, digits or '_', starting with a"
              + " letter: '"
              + tag
              + "'");
    }
    this.table = tag;
    this.names = requireNonNull(taps, "taps");
    this.vmToVm = vmToVm;
  }

  /** The nft table, {@code bridge <tag>}. */
  public String table() {
    return "bridge " + table;
  }

  /**
   * Makes the table exist with its base chains as this instance wants them; the guards in it stay.
   *
   * @throws HostNetworkException when nft is missing or the kernel refuses the table (no nftables
   *     bridge family)
   */
  public void ensure() throws InterruptedException {
    requireNft();
    String wildcard = "\"" + names.prefix() + "*\"";
    StringBuilder script = new StringBuilder(declaration());
    script.append("flush chain bridge ").append(table).append(" prerouting\n");
    script.append("flush chain bridge ").append(table).append(" forward\n");
    script.append("flush chain bridge ").append(table).append(" postrouting\n");
    // The limits first: a limited TAP's chain drops what is over its rate and returns.
    script.append(rule("prerouting", "iifname vmap @limits_in"));
    script.append(rule("postrouting", "oifname vmap @limits_out"));
    script.append(rule("prerouting", "iifname vmap @guards"));
    script.append(rule("prerouting", "iifname " + wildcard + " drop"));
    if (!vmToVm) {
      script.append(rule("forward", "iifname " + wildcard + " oifname " + wildcard + " drop"));
    }
    apply("could not install the TAP guards (nft table " + table() + ")", script.toString());
    log.info(
        "TAP guards '{}' in place ({})",
        table(),
        vmToVm ? "VM-to-VM traffic allowed" : "VMs isolated from each other");
  }

  /**
   * Lets only the guest's MAC and address through the TAP; replaces an earlier guard of the TAP.
   *
   * @throws HostNetworkException when nft fails, naming the TAP
   */
  public void guard(String tap, TapGuest guest) throws InterruptedException {
    requireOurs(tap);
    requireNonNull(guest, "guest");
    requireNft();
    String chain = chain(tap);
    String mac = guest.mac();
    String ip = guest.ip().toString();
    StringBuilder script = new StringBuilder(declaration());
    script.append("add chain bridge ").append(table).append(' ').append(chain).append('\n');
    script.append("flush chain bridge ").append(table).append(' ').append(chain).append('\n');
    script.append(rule(chain, "ether saddr != " + mac + " drop"));
    script.append(rule(chain, "ether type arp arp saddr ether != " + mac + " drop"));
    script.append(rule(chain, "ether type arp arp saddr ip != " + ip + " drop"));
    script.append(rule(chain, "ether type arp accept"));
    script.append(rule(chain, "ether type ip ip saddr != " + ip + " drop"));
    script.append(rule(chain, "ether type ip accept"));
    script.append(rule(chain, "drop"));
    script.append(element("add", tap, true));
    apply("could not guard TAP " + tap + " for " + mac + " / " + ip, script.toString());
    log.debug("TAP {} guarded for {} / {}", tap, mac, ip);
  }

  /**
   * Holds what passes through the TAP to {@code bytesPerSecond} each way, dropping what is over
   * (nftables {@code limit}: a policer, as the kernel may have no traffic-control actions); 0
   * removes the limits. Replaces earlier limits of the TAP; removed with its guard.
   *
   * @throws HostNetworkException when nft fails, naming the TAP
   */
  public void limit(String tap, long bytesPerSecond) throws InterruptedException {
    requireOurs(tap);
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("a TAP's rate must not be negative: " + bytesPerSecond);
    }
    requireNft();
    StringBuilder script = new StringBuilder(declaration());
    script.append(removal("limits_in", tap, limitChain("in", tap)));
    script.append(removal("limits_out", tap, limitChain("out", tap)));
    if (bytesPerSecond > 0) {
      // A second's worth may pass at once, as a Firecracker bucket of the same rate lets it; nft
      // keeps a burst in 32 bits.
      String over =
          "limit rate over "
              + bytesPerSecond
              + " bytes/second burst "
              + Math.min(bytesPerSecond, Integer.MAX_VALUE)
              + " bytes drop";
      for (String direction : List.of("in", "out")) {
        String chain = limitChain(direction, tap);
        script.append("add chain bridge ").append(table).append(' ').append(chain).append('\n');
        script.append(rule(chain, over));
        script.append(element("add", "limits_" + direction, tap, Optional.of(chain)));
      }
    }
    apply("could not limit the rate of TAP " + tap, script.toString());
    log.debug("TAP {} limited to {} bytes/s each way (0: none)", tap, bytesPerSecond);
  }

  /** Removes the TAP's guard; a TAP without one (or no table at all) is not an error. */
  public void unguard(String tap) throws InterruptedException {
    requireOurs(tap);
    if (environment.findProgram("nft").isEmpty() || !tableExists()) {
      return;
    }
    String script =
        declaration()
            + removal("guards", tap, chain(tap))
            + removal("limits_in", tap, limitChain("in", tap))
            + removal("limits_out", tap, limitChain("out", tap));
    apply("could not remove the guard of TAP " + tap, script);
    log.debug("TAP {} unguarded", tap);
  }

  /** The TAPs that have a guard, by the map's keys. */
  public List<String> guarded() throws InterruptedException {
    List<String> taps = new ArrayList<>();
    if (environment.findProgram("nft").isEmpty() || !tableExists()) {
      return taps;
    }
    CommandResult result =
        commands.check(
            "could not list the TAP guards", "nft", "-j", "list", "map", "bridge", table, "guards");
    for (JsonNode entry : HostNetworkCommands.json(result).path("nftables")) {
      for (JsonNode element : entry.path("map").path("elem")) {
        // Each element is [key, verdict].
        String key = element.path(0).asText(element.asText());
        if (!key.isEmpty()) {
          taps.add(key);
        }
      }
    }
    return taps;
  }

  /** Deletes the table with every guard; a missing table is not an error. */
  public void remove() throws InterruptedException {
    if (environment.findProgram("nft").isEmpty()) {
      return;
    }
    apply(
        "could not remove the TAP guards (nft table " + table() + ")",
        "table bridge " + table + "\ndelete table bridge " + table + "\n");
  }

  private boolean tableExists() throws InterruptedException {
    CommandResult result =
        commands.run(
            "could not look for nft table " + table(), "nft", "list", "table", "bridge", table);
    if (result.ok()) {
      return true;
    }
    if (result.stderr().contains("No such file or directory")) {
      return false;
    }
    HostNetworkCommands.orThrow("could not look for nft table " + table(), result);
    return false;
  }

  private String declaration() {
    return """
        table bridge %1$s {
          map guards { type ifname : verdict; }
          map limits_in { type ifname : verdict; }
          map limits_out { type ifname : verdict; }
          chain prerouting { type filter hook prerouting priority -200; policy accept; }
          chain forward { type filter hook forward priority 0; policy accept; }
          chain postrouting { type filter hook postrouting priority 0; policy accept; }
        }
        """
        .formatted(table);
  }

  private String rule(String chain, String rule) {
    return "add rule bridge " + table + " " + chain + " " + rule + "\n";
  }

  private String element(String verb, String tap, boolean withVerdict) {
    return element(verb, "guards", tap, withVerdict ? Optional.of(chain(tap)) : Optional.empty());
  }

  private String element(String verb, String map, String tap, Optional<String> jumpTo) {
    return verb
        + " element bridge "
        + table
        + " "
        + map
        + " { \""
        + tap
        + "\""
        + jumpTo.map(c -> " : jump " + c).orElse("")
        + " }\n";
  }

  /**
   * The script that removes the TAP's chain {@code chain} and its element in {@code map}, declared
   * first so that the deletes cannot fail on what is not there.
   */
  private String removal(String map, String tap, String chain) {
    return "add chain bridge "
        + table
        + " "
        + chain
        + "\n"
        + element("add", map, tap, Optional.of(chain))
        + element("delete", map, tap, Optional.empty())
        + "flush chain bridge "
        + table
        + " "
        + chain
        + "\ndelete chain bridge "
        + table
        + " "
        + chain
        + "\n";
  }

  /** {@code in_<tap>} (frames from the guest) or {@code out_<tap>} (to it). */
  private static String limitChain(String direction, String tap) {
    return direction + "_" + tap.replace('-', '_');
  }

  /** {@code guard_<tap>}, with '-' (allowed in TAP prefixes) as '_'. */
  static String chain(String tap) {
    return "guard_" + tap.replace('-', '_');
  }

  private void requireOurs(String tap) {
    if (!names.isOurs(tap)) {
      throw new IllegalArgumentException(
          "not a TAP name of this pool ("
              + names.prefix()
              + " followed by a number): '"
              + tap
              + "'");
    }
  }

  private void requireNft() {
    if (environment.findProgram("nft").isEmpty()) {
      throw new HostNetworkException(
          "cannot guard the VMs' TAP devices: nft is not on PATH (hearth filters each guest's"
              + " MAC and address with nftables; install nftables)");
    }
  }

  private void apply(String doing, String script) throws InterruptedException {
    CommandResult result =
        commands.run(doing, Command.builder("nft").args("-f", "-").stdin(script).build());
    if (!result.ok() && result.stderr().contains("Operation not supported")) {
      throw new HostNetworkException(
          doing
              + ": the kernel refused an nftables table of the bridge family (built without"
              + " CONFIG_NF_TABLES_BRIDGE?); hearth needs it to keep guests to their own address: "
              + result.stderr().strip());
    }
    HostNetworkCommands.orThrow(doing, result);
  }
}
