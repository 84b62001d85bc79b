package dev.hearth.fcproc.net;

import static java.util.Objects.requireNonNull;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * The guests' side of the bridge network: which address a new guest gets, the MAC derived from it
 * and the kernel {@code ip=} argument that configures it at boot.
 */
public final class GuestNetwork {
  // RFC 1123 host name label; the kernel ip= argument separates its fields with ':'.
  private static final Pattern HOSTNAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  private final Ipv4Cidr bridgeCidr;

  /**
   * @param bridgeCidr the bridge's address and prefix, e.g. {@code 10.77.0.1/24}; its address is
   *     the gateway
   * @throws IllegalArgumentException when the network has no room for a gateway and a guest
   */
  public GuestNetwork(Ipv4Cidr bridgeCidr) {
    this.bridgeCidr = requireNonNull(bridgeCidr, "bridgeCidr");
    if (bridgeCidr.hostCount() < 2) {
      throw new IllegalArgumentException(
          "bridge network "
              + bridgeCidr
              + " has no room for a gateway and a guest; use a prefix of /30 or shorter");
    }
    if (!isHost(bridgeCidr.gateway())) {
      throw new IllegalArgumentException(
          "bridge address "
              + bridgeCidr
              + " is the network or broadcast address; give a host address such as "
              + bridgeCidr.firstHost()
              + "/"
              + bridgeCidr.prefix());
    }
  }

  public Ipv4Cidr cidr() {
    return bridgeCidr;
  }

  public Ipv4 gateway() {
    return bridgeCidr.gateway();
  }

  /**
   * The lowest host address that is not the gateway and not taken.
   *
   * @param taken addresses already given to guests (addresses outside the network are ignored)
   * @throws GuestNetworkFullException when every host address is in use
   */
  public Ipv4 allocate(Set<Ipv4> taken) {
    Ipv4 last = bridgeCidr.lastHost();
    for (Ipv4 ip = bridgeCidr.firstHost(); ip.compareTo(last) <= 0; ip = ip.plus(1)) {
      if (!ip.equals(gateway()) && !taken.contains(ip)) {
        return ip;
      }
    }
    throw new GuestNetworkFullException(
        "no free guest address in "
            + bridgeCidr.networkCidr()
            + ": all "
            + (bridgeCidr.hostCount() - 1)
            + " guest addresses are taken (the gateway "
            + gateway()
            + " is the bridge's); delete a VM or configure a larger bridge_cidr");
  }

  /**
   * The guest's MAC: {@code 06:00:} followed by the four address bytes in hex, the convention
   * Firecracker's CI guests use to derive their address (06 is a locally administered unicast
   * prefix, so it never clashes with vendor MACs).
   */
  public static String macFor(Ipv4 guest) {
    return "06:00:" + guest.toHexColons();
  }

  /**
   * The kernel command-line argument that configures the guest's eth0 statically: {@code
   * ip=<guest>::<gateway>:<netmask>:<hostname>:eth0:off}.
   *
   * @throws IllegalArgumentException when the guest is not a host address of this network, is the
   *     gateway, or the hostname is not a valid host name
   */
  public String kernelIpArgument(Ipv4 guest, String hostname) {
    if (!isHost(guest) || guest.equals(gateway())) {
      throw new IllegalArgumentException(
          "guest address " + guest + " is not a free host address of " + bridgeCidr);
    }
    if (!HOSTNAME.matcher(hostname).matches()) {
      throw new IllegalArgumentException(
          "not a valid guest host name (lowercase letters, digits and inner '-', at most 63): '"
              + hostname
              + "'");
    }
    return "ip="
        + guest
        + "::"
        + gateway()
        + ":"
        + bridgeCidr.netmask()
        + ":"
        + hostname
        + ":eth0:off";
  }

  private boolean isHost(Ipv4 ip) {
    return bridgeCidr.contains(ip)
        && !ip.equals(bridgeCidr.network())
        && !ip.equals(bridgeCidr.broadcast());
  }
}
