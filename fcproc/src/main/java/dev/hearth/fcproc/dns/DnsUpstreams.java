package dev.hearth.fcproc.dns;

import dev.hearth.core.Config;
import dev.hearth.core.HostProbe;
import dev.hearth.fcproc.net.Ipv4;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the VM DNS forwards: {@code dns_upstream}, or else the host's own name servers from {@code
 * /etc/resolv.conf}. A loopback server there is usually systemd-resolved's stub (127.0.0.53), which
 * would send the VMs' domain back to the VM DNS once hearth registers it with resolved; so loopback
 * servers are replaced by resolved's real upstreams ({@code /run/systemd/resolve/resolv.conf})
 * where that file lists some.
 */
public final class DnsUpstreams {
  private static final Logger log = LoggerFactory.getLogger(DnsUpstreams.class);

  static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");
  static final Path RESOLVED_CONF = Path.of("/run/systemd/resolve/resolv.conf");
  private static final int PORT = 53;

  private DnsUpstreams() {}

  /** The upstreams for this config, reading the host's files through {@code files}. */
  public static List<InetSocketAddress> of(Config config, HostProbe files) {
    if (!config.dnsUpstream().isEmpty()) {
      return config.dnsUpstream();
    }
    List<InetSocketAddress> host = nameservers(files, RESOLV_CONF);
    if (host.stream().noneMatch(a -> a.getAddress().isLoopbackAddress())) {
      return host;
    }
    List<InetSocketAddress> resolved =
        nameservers(files, RESOLVED_CONF).stream()
            .filter(a -> !a.getAddress().isLoopbackAddress())
            .toList();
    if (resolved.isEmpty()) {
      return host;
    }
    List<InetSocketAddress> result = new ArrayList<>();
    for (InetSocketAddress a : host) {
      if (!a.getAddress().isLoopbackAddress()) {
        result.add(a);
      } else {
        resolved.stream().filter(r -> !result.contains(r)).forEach(result::add);
      }
    }
    return List.copyOf(result);
  }

  /** The {@code nameserver} lines of a resolv.conf file; a missing or unreadable one has none. */
  static List<InetSocketAddress> nameservers(HostProbe files, Path file) {
    if (!files.exists(file)) {
      return List.of();
    }
    String text;
    try {
      text = files.readSmallText(file);
    } catch (IOException e) {
      log.warn("cannot read {} for the VM DNS's upstreams: {}", file, e.getMessage());
      return List.of();
    }
    List<InetSocketAddress> servers = new ArrayList<>();
    for (String line : text.lines().toList()) {
      String[] words = line.strip().split("\\s+");
      if (words.length >= 2 && words[0].equals("nameserver")) {
        literal(words[1]).map(a -> new InetSocketAddress(a, PORT)).ifPresent(servers::add);
      }
    }
    return List.copyOf(servers);
  }

  /** An IP literal (never a name lookup); a scoped IPv6 address or junk is skipped. */
  private static Optional<InetAddress> literal(String word) {
    try {
      if (word.contains(":")) {
        // With a colon, getByName parses an IPv6 literal or fails: it never looks a name up.
        return word.contains("%") ? Optional.empty() : Optional.of(InetAddress.getByName(word));
      }
      int[] o = Ipv4.parse(word).octets();
      return Optional.of(
          InetAddress.getByAddress(
              new byte[] {(byte) o[0], (byte) o[1], (byte) o[2], (byte) o[3]}));
    } catch (UnknownHostException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
