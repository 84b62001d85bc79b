package dev.hearth.fcproc.dns;

import dev.hearth.core.CheckOutcome;
import dev.hearth.core.Config;
import dev.hearth.core.HostProbe;
import dev.hearth.fcproc.net.Ipv4Cidr;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The doctor's VM DNS checks: whether the upstream resolvers answer (one question each, a short
 * wait), and whether the host resolves VM names by itself (systemd-resolved) or needs a hand. The
 * bridge address's port 53 is {@link dev.hearth.fcproc.net.NetworkChecks#dnsPort}'s.
 */
public final class DnsChecks {
  /** Whether a resolver answers a question at all (any reply, even a refusal, is an answer). */
  @FunctionalInterface
  public interface Asker {
    boolean answers(InetSocketAddress upstream) throws InterruptedException;

    /** Asks for the root's NS records over UDP (TCP for a truncated reply). */
    static Asker udp(Duration timeout) {
      return upstream -> {
        Message query = Message.newQuery(Record.newRecord(Name.root, Type.NS, DClass.IN));
        return new UpstreamForwarder(List.of(upstream), timeout).forward(query, false).isPresent();
      };
    }
  }

  private final Config config;
  private final HostProbe probe;
  private final ResolvedLink resolved;
  private final Asker asker;

  public DnsChecks(Config config, HostProbe probe, ResolvedLink resolved, Asker asker) {
    this.config = config;
    this.probe = probe;
    this.resolved = resolved;
    this.asker = asker;
  }

  public CheckOutcome upstreams() throws InterruptedException {
    List<InetSocketAddress> upstreams = DnsUpstreams.of(config, probe);
    String configFile = config.source().orElse(Config.DEFAULT_FILE).toString();
    if (upstreams.isEmpty()) {
      return CheckOutcome.warn(
          "no upstream resolver: dns_upstream is unset and /etc/resolv.conf names none, so guests"
              + " resolve VM names only",
          "set dns_upstream in " + configFile + ", e.g. dns_upstream = [\"1.1.1.1\"]");
    }
    List<String> dead = new ArrayList<>();
    for (InetSocketAddress upstream : upstreams) {
      if (!asker.answers(upstream)) {
        dead.add(show(upstream));
      }
    }
    String all = String.join(", ", upstreams.stream().map(DnsChecks::show).toList());
    if (!dead.isEmpty()) {
      return CheckOutcome.warn(
          "upstream resolver(s) " + String.join(", ", dead) + " did not answer (of " + all + ")",
          "check the host's network, or set dns_upstream in " + configFile);
    }
    return CheckOutcome.pass("the upstream resolvers answer: " + all);
  }

  public CheckOutcome hostResolution() {
    String domain = config.dnsDomain();
    String dig =
        config
            .dnsHostListen()
            .map(a -> "dig @" + a.replaceFirst(":(\\d+)$", " -p $1") + " <vm>." + domain)
            .orElse("");
    if (resolved.available()) {
      return CheckOutcome.pass(
          "systemd-resolved: the daemon routes "
              + domain
              + " to the VM DNS on "
              + config.bridgeName()
              + (dig.isEmpty() ? "" : "; " + dig + " answers too"));
    }
    return CheckOutcome.warn(
        "no systemd-resolved: the host does not resolve <vm>."
            + domain
            + " by itself"
            + (dig.isEmpty() ? "" : "; " + dig + " answers"),
        ResolvedLink.manualCommand(
            config.bridgeName(), Ipv4Cidr.parse(config.bridgeCidr()).address(), domain));
  }

  private static String show(InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }
}
