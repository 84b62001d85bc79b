package dev.hearth.daemon.internal.doctor;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An IPv4 address and prefix length: {@code 10.77.0.1/24}, or a route's {@code 10.0.0.0/8}. */
record Ipv4Cidr(int address, int prefix) {
  private static final Pattern FORM =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})(?:/(\\d{1,2}))?");

  Ipv4Cidr {
    if (prefix < 0 || prefix > 32) {
      throw new IllegalArgumentException("prefix " + prefix + " is not from 0 to 32");
    }
  }

  /**
   * Parses {@code a.b.c.d/n}; a bare address is a /32.
   *
   * @throws IllegalArgumentException naming the text when it is not an IPv4 address or CIDR
   */
  static Ipv4Cidr parse(String text) {
    Matcher m = FORM.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not an IPv4 address or CIDR");
    }
    int address = 0;
    for (int i = 1; i <= 4; i++) {
      int octet = Integer.parseInt(m.group(i));
      if (octet > 255) {
        throw new IllegalArgumentException("'" + text + "' is not an IPv4 address or CIDR");
      }
      address = (address << 8) | octet;
    }
    int prefix = m.group(5) == null ? 32 : Integer.parseInt(m.group(5));
    if (prefix > 32) {
      throw new IllegalArgumentException("'" + text + "' has a prefix longer than 32");
    }
    return new Ipv4Cidr(address, prefix);
  }

  int mask() {
    return prefix == 0 ? 0 : -1 << (32 - prefix);
  }

  int network() {
    return address & mask();
  }

  /** Whether the two networks share any address: the shorter prefix contains the other. */
  boolean overlaps(Ipv4Cidr other) {
    int shorter = Math.min(prefix, other.prefix);
    int mask = shorter == 0 ? 0 : -1 << (32 - shorter);
    return (address & mask) == (other.address & mask);
  }

  /** The address alone, as an {@link InetAddress}. */
  InetAddress inetAddress() {
    byte[] bytes = {
      (byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address
    };
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError("four bytes are always an IPv4 address", e);
    }
  }

  /** This network with the host bits cleared, e.g. {@code 10.77.0.0/24}. */
  Ipv4Cidr networkCidr() {
    return new Ipv4Cidr(network(), prefix);
  }

  /** The address alone, dotted. */
  String addressText() {
    return (address >>> 24)
        + "."
        + ((address >>> 16) & 0xff)
        + "."
        + ((address >>> 8) & 0xff)
        + "."
        + (address & 0xff);
  }

  @Override
  public String toString() {
    return addressText() + "/" + prefix;
  }
}
