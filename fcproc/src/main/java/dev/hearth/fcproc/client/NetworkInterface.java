package dev.hearth.fcproc.client;

import static java.util.Objects.requireNonNull;

import dev.hearth.fcproc.internal.ApiIds;
import java.util.Optional;
import java.util.regex.Pattern;

/** Body of {@code PUT /network-interfaces/{iface_id}}: a virtio-net device on a host TAP. */
public record NetworkInterface(String ifaceId, String hostDevName, Optional<String> guestMac) {
  private static final Pattern MAC = Pattern.compile("([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}");

  public NetworkInterface {
    ApiIds.requirePathId("interface id", ifaceId);
    requireNonNull(hostDevName, "hostDevName");
    requireNonNull(guestMac, "guestMac");
    guestMac.ifPresent(
        mac -> {
          if (!MAC.matcher(mac).matches()) {
            throw new IllegalArgumentException("invalid guest MAC '" + mac + "'");
          }
        });
  }

  public NetworkInterface(String ifaceId, String hostDevName, String guestMac) {
    this(ifaceId, hostDevName, Optional.of(guestMac));
  }
}
