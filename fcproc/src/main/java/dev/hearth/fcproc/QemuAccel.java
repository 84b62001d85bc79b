package dev.hearth.fcproc;

import java.util.Locale;
import java.util.Optional;

/** How QEMU runs the guest's CPUs. */
public enum QemuAccel {
  /** KVM when {@link KvmProbe} finds it usable, else TCG. */
  AUTO,
  /** Hardware virtualization; InstanceStart fails without a usable /dev/kvm. */
  KVM,
  /** Software emulation (slow), as on a host without KVM. */
  TCG;

  /** The environment variable that sets the launcher's accelerator. */
  public static final String ENV = "HEARTH_QEMU_ACCEL";

  /** Parses {@code auto}, {@code kvm} or {@code tcg} (any case). */
  public static Optional<QemuAccel> parse(String text) {
    for (QemuAccel a : values()) {
      if (a.name().equalsIgnoreCase(text.strip())) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  /** The name QEMU's {@code -accel} takes. */
  public String qemuName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
