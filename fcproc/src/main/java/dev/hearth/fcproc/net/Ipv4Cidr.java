package dev.hearth.fcproc.net;

import static java.util.Objects.requireNonNull;

/**
 * An IPv4 interface address with its prefix length, such as {@code 10.77.0.1/24}: the address is
 * kept as given (it is the bridge's own address, the guests' gateway), the network and broadcast
 * addresses follow from the prefix.
 *
 * <p>Host addresses are those strictly between the network and the broadcast address, so a /31 or
 * /32 has none (hearth needs a network with room for a gateway and guests).
 */
public record Ipv4Cidr(Ipv4 address, int prefix) {

  public Ipv4Cidr {
    requireNonNull(address, "address");
    if (prefix < 0 || prefix > 32) {
      throw new IllegalArgumentException("an IPv4 prefix must be within 0..32, got " + prefix);
    }
  }

  /**
   * Parses {@code <address>/<prefix>}, e.g. {@code 10.77.0.1/24}.
   *
   * @throws IllegalArgumentException naming the text when it is not of that form
   */
  public static Ipv4Cidr parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException(
          "not an IPv4 CIDR (expected address/prefix such as 10.77.0.1/24): '" + text + "'");
    }
    String prefixText = text.substring(slash + 1);
    if (prefixText.isEmpty()
        || prefixText.length() > 2
        || !prefixText.chars().allMatch(c -> c >= '0' && c <= '9')
        || Integer.parseInt(prefixText) > 32) {
      throw new IllegalArgumentException(
          "not an IPv4 CIDR (the prefix must be a number within 0..32): '" + text + "'");
    }
    Ipv4 address;
    try {
      address = Ipv4.parse(text.substring(0, slash));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "not an IPv4 CIDR (bad address before the '/'): '" + text + "'", e);
    }
    return new Ipv4Cidr(address, Integer.parseInt(prefixText));
  }

  public Ipv4 netmask() {
    return new Ipv4(maskBits());
  }

  public Ipv4 network() {
    return new Ipv4(address.bits() & maskBits());
  }

  public Ipv4 broadcast() {
    return new Ipv4(address.bits() | ~maskBits());
  }

  /** The address as given: on a bridge, the gateway its guests route through. */
  public Ipv4 gateway() {
    return address;
  }

  /** How many host addresses the network has (excluding the network and broadcast addresses). */
  public long hostCount() {
    return Math.max(0, (1L << (32 - prefix)) - 2);
  }

  /** The lowest host address; only meaningful when {@link #hostCount()} is positive. */
  public Ipv4 firstHost() {
    return network().plus(1);
  }

  /** The highest host address; only meaningful when {@link #hostCount()} is positive. */
  public Ipv4 lastHost() {
    return broadcast().plus(-1);
  }

  /** Whether the address lies in this network (network and broadcast addresses included). */
  public boolean contains(Ipv4 ip) {
    return (ip.bits() & maskBits()) == network().bits();
  }

  /** Whether the two networks share at least one address. */
  public boolean overlaps(Ipv4Cidr other) {
    int shorter = Math.min(prefix, other.prefix);
    int mask = maskBits(shorter);
    return (address.bits() & mask) == (other.address.bits() & mask);
  }

  /** The network in CIDR form, e.g. {@code 10.77.0.0/24} for {@code 10.77.0.1/24}. */
  public String networkCidr() {
    return network() + "/" + prefix;
  }

  private int maskBits() {
    return maskBits(prefix);
  }

  private static int maskBits(int prefix) {
    return prefix == 0 ? 0 : -1 << (32 - prefix);
  }

  @Override
  public String toString() {
    return address + "/" + prefix;
  }
}
