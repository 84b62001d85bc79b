package dev.hearth.fcproc;

import java.util.Locale;
import java.util.Optional;

/** Which VMM runs the guests. */
public enum VmmKind {
  /** Firecracker itself, on KVM. */
  FIRECRACKER,
  /** QEMU through hearth's launcher ({@code hearth-qemu-firecracker}), with KVM or emulated. */
  QEMU,
  /** Nothing can run guests on this host; the choice's reason says why. */
  NONE;

  /** The name in the RPC contract and the VM row: firecracker, qemu or none. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<VmmKind> fromWireName(String name) {
    for (VmmKind k : values()) {
      if (k.wireName().equals(name)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }
}
