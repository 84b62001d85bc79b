package dev.hearth.fcproc.net;

import java.util.List;

/**
 * What the host reports about a network device that should be hearth's bridge.
 *
 * @param kind the link kind from {@code ip -d link} ({@code bridge}, {@code tun}, ...), empty for a
 *     plain device
 * @param up whether the device is administratively up
 * @param addresses its IPv4 addresses with their prefixes
 */
public record BridgeInfo(
    String name, String kind, boolean up, int mtu, String mac, List<Ipv4Cidr> addresses) {

  public BridgeInfo {
    addresses = List.copyOf(addresses);
  }

  public boolean isBridge() {
    return kind.equals("bridge");
  }
}
