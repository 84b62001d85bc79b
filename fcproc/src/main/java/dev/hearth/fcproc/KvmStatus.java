package dev.hearth.fcproc;

import static java.util.Objects.requireNonNull;

/**
 * Whether this host's {@code /dev/kvm} can run hearth's guests, and why not.
 *
 * @param kind what was found
 * @param detail one phrase saying what was found, e.g. "/dev/kvm is PVM's (...)"
 */
public record KvmStatus(Kind kind, String detail) {
  /** What {@link KvmProbe} found. */
  public enum Kind {
    /** /dev/kvm opens for reading and writing and is a hardware KVM. */
    USABLE,
    /** There is no /dev/kvm. */
    MISSING,
    /** /dev/kvm exists but this process cannot open it for reading and writing. */
    NO_ACCESS,
    /**
     * /dev/kvm is PVM's ({@code kvm_pvm}, pagetable-based virtualization on hosts without nested
     * VMX/SVM): it runs only guest kernels built for PVM, and hearth's Debian kernel stops early in
     * boot with an emulation failure.
     */
    PVM
  }

  public KvmStatus {
    requireNonNull(kind, "kind");
    requireNonNull(detail, "detail");
  }

  /** Whether Firecracker (or QEMU with {@code -accel kvm}) can boot guests with it. */
  public boolean usable() {
    return kind == Kind.USABLE;
  }
}
