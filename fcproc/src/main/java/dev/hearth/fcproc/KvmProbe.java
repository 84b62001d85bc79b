package dev.hearth.fcproc;

import java.nio.file.Path;

/**
 * Tells whether this host's KVM can run hearth's guests. The one implementation of that question:
 * the daemon's choice of VMM ({@link VmmSelector}), the doctor and the QEMU launcher's {@code auto}
 * accelerator all ask it, so they never disagree. Tests pass a fake.
 */
@FunctionalInterface
public interface KvmProbe {
  /** Looks at the host now (cheap: a file test and an open). */
  KvmStatus probe();

  /** The real host: {@code /dev/kvm} and {@code /sys/module/kvm_pvm}. */
  static KvmProbe system() {
    return new LinuxKvmProbe(Path.of("/dev/kvm"), Path.of("/sys/module/kvm_pvm"));
  }
}
