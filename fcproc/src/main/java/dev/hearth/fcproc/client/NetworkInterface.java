package dev.hearth.fcproc.client;

import static java.util.Objects.requireNonNull;

import dev.hearth.fcproc.internal.ApiIds;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Body of {@code PUT /network-interfaces/{iface_id}}: a virtio-net device on a host TAP, with
 * optional limits on what the guest receives ({@code rx}) and sends ({@code tx}).
 */
public record NetworkInterface(
    String ifaceId,
    String hostDevName,
    Optional<String> guestMac,
    Optional<RateLimiter> rxRateLimiter,
    Optional<RateLimiter> txRateLimiter) {
  private static final Pattern MAC = Pattern.compile("([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}");

  public NetworkInterface {
    ApiIds.requirePathId("interface id", ifaceId);
    requireNonNull(hostDevName, "hostDevName");
    requireNonNull(guestMac, "guestMac");
    requireNonNull(rxRateLimiter, "rxRateLimiter");
    requireNonNull(txRateLimiter, "txRateLimiter");
    guestMac.ifPresent(
        mac -> {
          if (!MAC.matcher(mac).matches()) {
            throw new IllegalArgumentException("invalid guest MAC '" + mac + "'");
          }
        });
  }

  /** An interface without rate limiters. */
  public NetworkInterface(String ifaceId, String hostDevName, Optional<String> guestMac) {
    this(ifaceId, hostDevName, guestMac, Optional.empty(), Optional.empty());
  }

  public NetworkInterface(String ifaceId, String hostDevName, String guestMac) {
    this(ifaceId, hostDevName, Optional.of(guestMac));
  }

  /** Whether either direction is limited. */
  public boolean limited() {
    return rxRateLimiter.isPresent() || txRateLimiter.isPresent();
  }
}
