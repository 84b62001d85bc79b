package dev.hearth.fcproc.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code /proc/net/{udp,udp6,tcp,tcp6}}. Addresses are hex in host byte order, one 32-bit
 * word at a time (little-endian on the hosts hearth runs on); ports are big-endian hex.
 */
final class ProcNet {
  /** TCP_LISTEN in the {@code st} column. */
  private static final String TCP_LISTEN = "0A";

  /** TCP_CLOSE, which an unconnected (bound, receiving) UDP socket reports. */
  private static final String UDP_UNCONNECTED = "07";

  private ProcNet() {}

  /**
   * The sockets of one table that accept traffic from anyone: listening TCP sockets, unconnected
   * UDP ones.
   *
   * @param protocol {@code udp}, {@code udp6}, {@code tcp} or {@code tcp6}, the file's name
   * @throws IllegalArgumentException naming the line when it cannot be parsed
   */
  static List<HostSockets.BoundSocket> parse(String protocol, String table) {
    String wanted = protocol.startsWith("tcp") ? TCP_LISTEN : UDP_UNCONNECTED;
    List<HostSockets.BoundSocket> sockets = new ArrayList<>();
    String[] lines = table.split("\n");
    // The first line is the column header.
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split("\\s+");
      if (f.length < 10 || !f[0].endsWith(":")) {
        throw new IllegalArgumentException(
            "unexpected line in /proc/net/" + protocol + ": '" + line + "'");
      }
      if (!f[3].equalsIgnoreCase(wanted)) {
        continue;
      }
      try {
        int colon = f[1].indexOf(':');
        InetAddress address = address(f[1].substring(0, colon));
        int port = Integer.parseInt(f[1].substring(colon + 1), 16);
        sockets.add(
            new HostSockets.BoundSocket(
                protocol, address, port, Integer.parseInt(f[7]), Long.parseLong(f[9])));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "unexpected line in /proc/net/" + protocol + ": '" + line + "': " + e.getMessage(), e);
      }
    }
    return sockets;
  }

  /** Decodes an address column: 8 hex digits for IPv4, 32 for IPv6. */
  static InetAddress address(String hex) {
    if (hex.length() != 8 && hex.length() != 32) {
      throw new IllegalArgumentException("'" + hex + "' is not a hex IPv4 or IPv6 address");
    }
    byte[] bytes = new byte[hex.length() / 2];
    for (int word = 0; word < bytes.length / 4; word++) {
      for (int b = 0; b < 4; b++) {
        // Within each 32-bit word the least significant byte is printed last.
        int at = word * 8 + (3 - b) * 2;
        bytes[word * 4 + b] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
      }
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + hex + "' is not an address", e);
    }
  }
}
