package dev.hearth.dmsnap;

import static java.util.Objects.requireNonNull;

/**
 * Whether the {@code dm-snapshot} provisioner can work on this host.
 *
 * @param available device-mapper is there and has (or can load) the {@code snapshot} target
 * @param detail one line for doctor: what was found, or what is missing
 */
public record DeviceMapperStatus(boolean available, String detail) {
  public DeviceMapperStatus {
    requireNonNull(detail, "detail");
  }
}
