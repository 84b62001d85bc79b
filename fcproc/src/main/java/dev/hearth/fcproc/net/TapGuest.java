package dev.hearth.fcproc.net;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * Who may send through a VM's TAP: the guest's MAC and IPv4 address, as hearth gave them. Frames
 * from the TAP carrying another source are dropped ({@link TapGuards}).
 *
 * @param mac lowercase {@code xx:xx:xx:xx:xx:xx}, unicast
 * @param ip the guest's address
 */
public record TapGuest(String mac, Ipv4 ip) {
  private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");

  public TapGuest {
    requireNonNull(mac, "mac");
    requireNonNull(ip, "ip");
    if (!MAC.matcher(mac).matches() || (Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0) {
      throw new IllegalArgumentException(
          "not a lowercase unicast MAC address such as 06:00:0a:4d:00:02: '" + mac + "'");
    }
  }

  /** The guest as hearth addresses it: {@link GuestNetwork#macFor} of its IP. */
  public static TapGuest of(Ipv4 ip) {
    return new TapGuest(GuestNetwork.macFor(ip), ip);
  }
}
