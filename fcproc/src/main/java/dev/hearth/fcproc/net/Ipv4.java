package dev.hearth.fcproc.net;

import java.util.List;
import java.util.Locale;

/**
 * An IPv4 address as its 32 bits. Parses and prints the dotted-quad form; orders as an unsigned
 * number, so 10.0.0.2 comes before 10.0.0.10 and 128.0.0.0 after 127.255.255.255.
 */
public record Ipv4(int bits) implements Comparable<Ipv4> {

  /**
   * Parses a dotted quad such as {@code 10.77.0.2}. Leading zeros are refused because other tools
   * read them as octal.
   *
   * @throws IllegalArgumentException naming the text when it is not an IPv4 address
   */
  public static Ipv4 parse(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw notAnAddress(text);
    }
    int bits = 0;
    for (String part : parts) {
      if (part.isEmpty()
          || part.length() > 3
          || !part.chars().allMatch(c -> c >= '0' && c <= '9')
          || (part.length() > 1 && part.charAt(0) == '0')) {
        throw notAnAddress(text);
      }
      int octet = Integer.parseInt(part);
      if (octet > 255) {
        throw notAnAddress(text);
      }
      bits = (bits << 8) | octet;
    }
    return new Ipv4(bits);
  }

  public static Ipv4 of(int a, int b, int c, int d) {
    for (int octet : List.of(a, b, c, d)) {
      if (octet < 0 || octet > 255) {
        throw new IllegalArgumentException("an IPv4 octet must be within 0..255, got " + octet);
      }
    }
    return new Ipv4((a << 24) | (b << 16) | (c << 8) | d);
  }

  private static IllegalArgumentException notAnAddress(String text) {
    return new IllegalArgumentException(
        "not an IPv4 address (expected four decimal octets such as 10.77.0.2): '" + text + "'");
  }

  /** The four octets, most significant first, each within 0..255. */
  public int[] octets() {
    return new int[] {bits >>> 24, (bits >>> 16) & 0xff, (bits >>> 8) & 0xff, bits & 0xff};
  }

  /** The address {@code delta} further on (wrapping past 255.255.255.255). */
  public Ipv4 plus(long delta) {
    return new Ipv4((int) (Integer.toUnsignedLong(bits) + delta));
  }

  /** The octets as lowercase two-digit hex joined by colons, e.g. {@code 0a:4d:00:02}. */
  public String toHexColons() {
    int[] o = octets();
    return String.format(Locale.ROOT, "%02x:%02x:%02x:%02x", o[0], o[1], o[2], o[3]);
  }

  @Override
  public int compareTo(Ipv4 other) {
    return Integer.compareUnsigned(bits, other.bits);
  }

  @Override
  public String toString() {
    int[] o = octets();
    return o[0] + "." + o[1] + "." + o[2] + "." + o[3];
  }
}
