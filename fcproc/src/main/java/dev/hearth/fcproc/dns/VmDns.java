package dev.hearth.fcproc.dns;

import dev.hearth.core.Config;
import dev.hearth.core.HostProbe;
import dev.hearth.fcproc.net.EgressGate;
import dev.hearth.fcproc.net.HostNetwork;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.Ipv4Cidr;
import dev.hearth.fcproc.net.TapGuest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VM DNS as the daemon runs it: the records of the VMs' names ({@link #put}, {@link #remove}),
 * the server that answers them and forwards other names. The host listener ({@code
 * dns_host_listen}) opens at start; the guest listener on the bridge address port 53 once the
 * bridge exists ({@link #followBridge}), and then, where systemd-resolved runs, the bridge link
 * gets the VMs' domain. A listener that cannot bind is logged and the daemon runs on without it
 * (doctor's {@code dns-port} says why).
 */
public final class VmDns implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VmDns.class);
  private static final int DNS_PORT = 53;

  private final Config config;
  private final Ipv4Cidr bridge;
  private final DnsRecords records = new DnsRecords();
  private final DnsServer server;
  private final Optional<ResolvedLink> resolved;
  private final HostProbe probe;
  private Optional<InetSocketAddress> guestListener = Optional.empty();

  /** The bridge's interface index when the guest listener was opened, if it could be read. */
  private Optional<String> listenedOn = Optional.empty();

  private boolean registered;
  private boolean closed;

  /**
   * @param upstreams where other names go ({@link DnsUpstreams})
   * @param resolved the host's systemd-resolved, when the daemon runs the real host network
   * @param probe reads the bridge's interface index ({@code /sys/class/net/<bridge>/ifindex})
   */
  public VmDns(
      Config config,
      List<InetSocketAddress> upstreams,
      EgressGate gate,
      Optional<ResolvedLink> resolved,
      HostProbe probe) {
    this.config = config;
    this.bridge = Ipv4Cidr.parse(config.bridgeCidr());
    this.server = new DnsServer(records, config.dnsDomain(), bridge, upstreams, gate);
    this.resolved = resolved;
    this.probe = probe;
    if (upstreams.isEmpty()) {
      log.warn("the VM DNS has no upstream resolver: names other than VMs' get SERVFAIL");
    } else {
      log.info("the VM DNS forwards to {}", upstreams);
    }
  }

  /** Resolves the VM {@code name} to {@code ip}; a VM without a usable address is skipped. */
  public void put(String name, String ip) {
    if (ip == null || ip.isEmpty()) {
      return;
    }
    try {
      records.put(name, Ipv4.parse(ip));
    } catch (IllegalArgumentException e) {
      log.warn("VM {} has no usable address for the VM DNS: {}", name, e.getMessage());
    }
  }

  /** The VM {@code name} resolves no more. */
  public void remove(String name) {
    records.remove(name);
  }

  /** Opens the host listener, {@code dns_host_listen}, unless it is off ({@code ""}). */
  public Optional<InetSocketAddress> listenForHost() {
    Optional<String> listen = config.dnsHostListen();
    if (listen.isEmpty()) {
      return Optional.empty();
    }
    String text = listen.get();
    int colon = text.lastIndexOf(':');
    try {
      InetAddress host = InetAddress.getByName(text.substring(0, colon).replaceAll("^\\[|]$", ""));
      return Optional.of(
          server.listen(
              new InetSocketAddress(host, Integer.parseInt(text.substring(colon + 1))), false));
    } catch (UnknownHostException | DnsException e) {
      log.warn("the host cannot resolve VM names through hearth: {}", e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * {@code network}, which after each {@link HostNetwork#ensure} has the guest listener open on the
   * bridge address (once) and the domain registered with systemd-resolved.
   */
  public HostNetwork followBridge(HostNetwork network) {
    return new HostNetwork() {
      @Override
      public void ensure() throws InterruptedException {
        network.ensure();
        listenForGuests();
      }

      @Override
      public String tapName(int index) {
        return network.tapName(index);
      }

      @Override
      public void createTap(String tap) throws InterruptedException {
        network.createTap(tap);
      }

      @Override
      public void attachTap(String tap) throws InterruptedException {
        network.attachTap(tap);
      }

      @Override
      public void ownTap(String tap, int uid) throws InterruptedException {
        network.ownTap(tap, uid);
      }

      @Override
      public void guardTap(String tap, TapGuest guest) throws InterruptedException {
        network.guardTap(tap, guest);
      }

      @Override
      public void limitTap(String tap, long bytesPerSecond) throws InterruptedException {
        network.limitTap(tap, bytesPerSecond);
      }

      @Override
      public void unguardTap(String tap) throws InterruptedException {
        network.unguardTap(tap);
      }

      @Override
      public void deleteTap(String tap) throws InterruptedException {
        network.deleteTap(tap);
      }

      @Override
      public List<String> listTaps() throws InterruptedException {
        return network.listTaps();
      }
    };
  }

  /**
   * Opens the guest listener on the bridge address, once, and again when the bridge was made anew
   * since (its interface index changed: a TCP listener bound on the old bridge's address accepts
   * nothing on the new one, and systemd-resolved's settings went with the old link).
   */
  private synchronized void listenForGuests() throws InterruptedException {
    if (closed) {
      return;
    }
    Optional<String> index = bridgeIndex();
    if (guestListener.isPresent()) {
      if (index.isEmpty() || index.equals(listenedOn)) {
        return;
      }
      log.info(
          "bridge {} was made again (interface index {} now {}): the VM DNS listens on it again",
          config.bridgeName(),
          listenedOn.orElse("unknown"),
          index.get());
      server.unlisten(guestListener.get());
      guestListener = Optional.empty();
      registered = false;
    }
    try {
      InetAddress address = InetAddress.getByName(bridge.address().toString());
      guestListener = Optional.of(server.listen(new InetSocketAddress(address, DNS_PORT), true));
      listenedOn = index;
    } catch (UnknownHostException | DnsException e) {
      log.warn("guests cannot resolve names: {}", e.getMessage());
      return;
    }
    if (resolved.isPresent() && resolved.get().available()) {
      try {
        resolved.get().register(config.bridgeName(), bridge.address(), config.dnsDomain());
        registered = true;
        log.info(
            "systemd-resolved sends {} to the VM DNS on {}",
            config.dnsDomain(),
            config.bridgeName());
      } catch (DnsException e) {
        log.warn("the host cannot resolve VM names through systemd-resolved: {}", e.getMessage());
      }
    }
  }

  private Optional<String> bridgeIndex() {
    Path ifindex = Path.of("/sys/class/net", config.bridgeName(), "ifindex");
    try {
      return Optional.of(probe.readSmallText(ifindex).strip());
    } catch (IOException e) {
      log.debug("cannot read {}: {}", ifindex, e.toString());
      return Optional.empty();
    }
  }

  /** Takes the resolved registration back and closes the server. */
  @Override
  public void close() throws InterruptedException {
    boolean revert;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      revert = registered;
    }
    try {
      if (revert) {
        resolved.get().revert(config.bridgeName());
      }
    } catch (DnsException e) {
      log.warn("could not take the VM DNS back from systemd-resolved: {}", e.getMessage());
    } finally {
      server.close();
    }
  }
}
