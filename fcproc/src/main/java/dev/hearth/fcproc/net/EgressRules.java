package dev.hearth.fcproc.net;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The per-VM egress policies in an nftables table of hearth's own, {@code table ip <tag>_egress},
 * on the forward hook (a guest's traffic beyond the bridge is routed; DNS and other traffic to the
 * bridge address is not forwarded and stays with the NAT table's input rules).
 *
 * <ul>
 *   <li>{@code forward} (priority filter - 1): packets in from the bridge of connections already
 *       accepted pass; others jump by their source address (trustworthy: {@link TapGuards} stops
 *       spoofing) through the verdict map {@code vms} to the VM's chain. A VM without an element
 *       (policy {@code open}) is not filtered.
 *   <li>{@code vm_<a_b_c_d>}: under an allow list, accept to an address in {@code allow_<ip>}
 *       (addresses the VM DNS answered for allowed names, each with the answer's TTL as timeout) or
 *       in {@code cidr_<ip>} (the listed networks); then, and under {@code none} at once, record
 *       the TCP/UDP destination in {@code denied_<ip>} (a dynamic set of at most {@value
 *       #DENIED_SIZE} entries, each kept an hour), count in the counter {@code denials_<ip>}, and
 *       reject: TCP with a reset, the rest with ICMP admin-prohibited, so a guest learns at once.
 * </ul>
 *
 * <p>Every change is one {@code nft -f -} transaction that first declares what it deletes, so a
 * policy replaces the old one atomically and a removal never fails on what is not there.
 */
public final class EgressRules {
  /** Most remembered denied destinations per VM. */
  public static final int DENIED_SIZE = 64;

  /** Most addresses learned from DNS answers per VM. */
  public static final int ALLOWED_SIZE = 4096;

  /** How long a denied destination is remembered. */
  public static final Duration DENIED_MEMORY = Duration.ofHours(1);

  private static final Pattern TAG = Pattern.compile("[a-z][a-z0-9_]{0,30}");

  private final HostNetworkCommands commands;
  private final HostNetworkEnvironment environment;
  private final String table;
  private final String bridge;

  /**
   * @param tag the NAT tag (the daemon's {@code network_tag}); the table is {@code <tag>_egress}
   * @param bridge the bridge the guests' traffic comes in from
   */
  public EgressRules(Runner runner, HostNetworkEnvironment environment, String tag, String bridge) {
    this.commands = new HostNetworkCommands(requireNonNull(runner, "runner"));
    this.environment = requireNonNull(environment, "environment");
    if (!TAG.matcher(tag).matches()) {
      throw new IllegalArgumentException(
          "egress table tag must be 1 to 31 lowercase letters, digits or '_', starting with a"
              + " letter: '"
              + tag
              + "'");
    }
    this.table = tag + "_egress";
    this.bridge = HostNetworkCommands.checkInterfaceName(bridge, "bridge");
  }

  /** The nft table, {@code ip <tag>_egress}. */
  public String table() {
    return "ip " + table;
  }

  /** Makes the table exist and rewrites its base chain; the VMs' chains and sets stay. */
  public void ensure() throws InterruptedException {
    requireNft();
    apply("could not install the egress table (nft table " + table() + ")", declaration());
  }

  /** The table and its base chain's rules, rewritten: declared by every change. */
  private String declaration() {
    return declareTable()
        + "flush chain ip "
        + table
        + " forward\n"
        + "add rule ip "
        + table
        + " forward iifname \""
        + bridge
        + "\" ct state established,related accept\n"
        + "add rule ip "
        + table
        + " forward iifname \""
        + bridge
        + "\" ip saddr vmap @vms\n";
  }

  /**
   * Puts the guest under {@code policy} in one transaction, replacing its earlier policy: {@code
   * open} removes its chain and sets, otherwise its chain is rewritten; under an allow list the
   * learned set is refilled with {@code learned} (address to remaining lifetime). The denial
   * counter and the denied set are kept across changes.
   */
  public void apply(Ipv4 guest, EgressPolicy policy, Map<Ipv4, Duration> learned)
      throws InterruptedException {
    requireNonNull(policy, "policy");
    if (policy.mode() == EgressPolicy.Mode.OPEN) {
      remove(guest);
      return;
    }
    requireNft();
    String k = key(guest);
    String chain = "vm_" + k;
    StringBuilder s = new StringBuilder(declaration());
    s.append(declareVm(k));
    s.append("flush chain ip ").append(table).append(' ').append(chain).append('\n');
    s.append("flush set ip ").append(table).append(" allow_").append(k).append('\n');
    s.append("flush set ip ").append(table).append(" cidr_").append(k).append('\n');
    if (policy.mode() == EgressPolicy.Mode.ALLOW) {
      if (!policy.cidrs().isEmpty()) {
        List<String> cidrs = new ArrayList<>();
        for (Ipv4Cidr cidr : policy.cidrs()) {
          cidrs.add(cidr.networkCidr());
        }
        s.append("add element ip ")
            .append(table)
            .append(" cidr_")
            .append(k)
            .append(" { ")
            .append(String.join(", ", cidrs))
            .append(" }\n");
      }
      learned.forEach(
          (ip, left) ->
              s.append("add element ip ")
                  .append(table)
                  .append(" allow_")
                  .append(k)
                  .append(" { ")
                  .append(ip)
                  .append(" timeout ")
                  .append(Math.max(1, left.toSeconds()))
                  .append("s }\n"));
      s.append(rule(chain, "ip daddr @allow_" + k + " accept"));
      s.append(rule(chain, "ip daddr @cidr_" + k + " accept"));
    }
    s.append(
        rule(chain, "meta l4proto { tcp, udp } update @denied_" + k + " { ip daddr . th dport }"));
    s.append(rule(chain, "counter name \"denials_" + k + "\""));
    s.append(rule(chain, "meta l4proto tcp reject with tcp reset"));
    s.append(rule(chain, "reject with icmp type admin-prohibited"));
    s.append("add element ip ")
        .append(table)
        .append(" vms { ")
        .append(guest)
        .append(" : jump ")
        .append(chain)
        .append(" }\n");
    apply("could not apply egress policy " + policy + " for " + guest, s.toString());
  }

  /**
   * Lets the guest reach {@code addresses} for {@code ttl} (replacing an earlier timeout of each).
   * Only meaningful while the guest is under an allow list.
   */
  public void allow(Ipv4 guest, List<Ipv4> addresses, Duration ttl) throws InterruptedException {
    if (addresses.isEmpty()) {
      return;
    }
    String set = "ip " + table + " allow_" + key(guest);
    long seconds = Math.max(1, ttl.toSeconds());
    StringBuilder s = new StringBuilder();
    for (Ipv4 ip : addresses) {
      // Declared, deleted and added again: the one way to set the timeout of a present element.
      s.append("add element ").append(set).append(" { ").append(ip).append(" timeout 1s }\n");
      s.append("delete element ").append(set).append(" { ").append(ip).append(" }\n");
      s.append("add element ")
          .append(set)
          .append(" { ")
          .append(ip)
          .append(" timeout ")
          .append(seconds)
          .append("s }\n");
    }
    apply("could not let " + guest + " reach " + addresses, s.toString());
  }

  /** Removes the guest's chain, sets and counter; none is not an error. */
  public void remove(Ipv4 guest) throws InterruptedException {
    if (environment.findProgram("nft").isEmpty() || !tableExists()) {
      return;
    }
    String k = key(guest);
    String t = "ip " + table;
    String script =
        declaration()
            + declareVm(k)
            + "add element "
            + t
            + " vms { "
            + guest
            + " : jump vm_"
            + k
            + " }\n"
            + "delete element "
            + t
            + " vms { "
            + guest
            + " }\n"
            + "flush chain "
            + t
            + " vm_"
            + k
            + "\n"
            + "delete chain "
            + t
            + " vm_"
            + k
            + "\n"
            + "delete set "
            + t
            + " allow_"
            + k
            + "\n"
            + "delete set "
            + t
            + " cidr_"
            + k
            + "\n"
            + "delete set "
            + t
            + " denied_"
            + k
            + "\n"
            + "delete counter "
            + t
            + " denials_"
            + k
            + "\n";
    apply("could not remove the egress rules of " + guest, script);
  }

  /** The guests that have a chain (a policy other than open), by the map's keys. */
  public List<Ipv4> guests() throws InterruptedException {
    List<Ipv4> guests = new ArrayList<>();
    if (environment.findProgram("nft").isEmpty() || !tableExists()) {
      return guests;
    }
    CommandResult result =
        commands.check(
            "could not list the egress policies", "nft", "-j", "list", "map", "ip", table, "vms");
    for (JsonNode entry : HostNetworkCommands.json(result).path("nftables")) {
      for (JsonNode element : entry.path("map").path("elem")) {
        String key = element.path(0).asText(element.asText());
        if (!key.isEmpty()) {
          guests.add(Ipv4.parse(key));
        }
      }
    }
    return guests;
  }

  /** One remembered denial: where to, and how long ago at most (within {@link #DENIED_MEMORY}). */
  public record Denied(Ipv4 address, int port, Duration ago) {}

  /**
   * The guest's denials as the kernel counted them: how many packets were refused, and the last
   * refused TCP/UDP destinations, most recent first. Zero and none for a guest without a chain.
   */
  public record Denials(long count, List<Denied> last) {
    public Denials {
      last = List.copyOf(last);
    }
  }

  public Denials denials(Ipv4 guest) throws InterruptedException {
    if (environment.findProgram("nft").isEmpty() || !tableExists()) {
      return new Denials(0, List.of());
    }
    String k = key(guest);
    CommandResult counter =
        commands.run(
            "could not read the egress denial counter of " + guest,
            "nft",
            "-j",
            "list",
            "counter",
            "ip",
            table,
            "denials_" + k);
    if (!counter.ok()) {
      return new Denials(0, List.of());
    }
    long count = 0;
    for (JsonNode entry : HostNetworkCommands.json(counter).path("nftables")) {
      count += entry.path("counter").path("packets").asLong(0);
    }
    CommandResult set =
        commands.check(
            "could not read the denied destinations of " + guest,
            "nft",
            "-j",
            "list",
            "set",
            "ip",
            table,
            "denied_" + k);
    List<Denied> last = new ArrayList<>();
    for (JsonNode entry : HostNetworkCommands.json(set).path("nftables")) {
      for (JsonNode element : entry.path("set").path("elem")) {
        JsonNode elem = element.path("elem");
        JsonNode concat = elem.path("val").path("concat");
        if (concat.size() != 2) {
          continue;
        }
        long expires = elem.path("expires").asLong(0);
        Duration ago = DENIED_MEMORY.minusSeconds(expires);
        last.add(
            new Denied(
                Ipv4.parse(concat.path(0).asText()),
                concat.path(1).asInt(),
                ago.isNegative() ? Duration.ZERO : ago));
      }
    }
    last.sort(Comparator.comparing(Denied::ago));
    return new Denials(count, last);
  }

  /** Deletes the table with every VM's rules; a missing table is not an error. */
  public void removeAll() throws InterruptedException {
    if (environment.findProgram("nft").isEmpty()) {
      return;
    }
    apply(
        "could not remove the egress table (nft table " + table() + ")",
        "table ip " + table + "\ndelete table ip " + table + "\n");
  }

  /** {@code a_b_c_d}: the guest's address as a name part of its chain and sets. */
  static String key(Ipv4 guest) {
    return guest.toString().replace('.', '_');
  }

  private String declareVm(String k) {
    String t = "ip " + table;
    return "add chain "
        + t
        + " vm_"
        + k
        + "\n"
        + "add set "
        + t
        + " allow_"
        + k
        + " { type ipv4_addr; flags timeout; size "
        + ALLOWED_SIZE
        + "; }\n"
        + "add set "
        + t
        + " cidr_"
        + k
        + " { type ipv4_addr; flags interval; }\n"
        + "add set "
        + t
        + " denied_"
        + k
        + " { type ipv4_addr . inet_service; flags dynamic,timeout; size "
        + DENIED_SIZE
        + "; timeout "
        + DENIED_MEMORY.toSeconds()
        + "s; }\n"
        + "add counter "
        + t
        + " denials_"
        + k
        + "\n";
  }

  private String declareTable() {
    return """
        table ip %1$s {
          map vms { type ipv4_addr : verdict; }
          chain forward { type filter hook forward priority filter - 1; policy accept; }
        }
        """
        .formatted(table);
  }

  private String rule(String chain, String rule) {
    return "add rule ip " + table + " " + chain + " " + rule + "\n";
  }

  private boolean tableExists() throws InterruptedException {
    CommandResult result =
        commands.run(
            "could not look for nft table " + table(), "nft", "list", "table", "ip", table);
    if (result.ok()) {
      return true;
    }
    if (result.stderr().contains("No such file or directory")) {
      return false;
    }
    HostNetworkCommands.orThrow("could not look for nft table " + table(), result);
    return false;
  }

  private void requireNft() {
    if (environment.findProgram("nft").isEmpty()) {
      throw new HostNetworkException(
          "cannot apply a VM's egress policy: nft is not on PATH (hearth holds guests to their"
              + " egress policy with nftables; install nftables)");
    }
  }

  private void apply(String doing, String script) throws InterruptedException {
    commands.check(doing, Command.builder("nft").args("-f", "-").stdin(script).build());
  }
}
