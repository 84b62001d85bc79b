package dev.hearth.fcproc;

import java.util.Locale;
import java.util.Optional;

/** The {@code vmm} setting: which VMM the daemon should run guests under. */
public enum VmmMode {
  /** Firecracker when it is installed and KVM works, else the bundled QEMU launcher. */
  AUTO,
  /** Firecracker only: a boot fails, naming why, when it is missing or KVM does not work. */
  FIRECRACKER,
  /** Always the bundled QEMU launcher ({@code hearth-qemu-firecracker}). */
  QEMU;

  /** The value as the config file spells it. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code auto}, {@code firecracker} or {@code qemu}. */
  public static Optional<VmmMode> fromConfigName(String name) {
    for (VmmMode m : values()) {
      if (m.configName().equals(name)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }
}
