package dev.hearth.fcproc;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The VMM the daemon runs guests under, as {@link VmmSelector} chose it.
 *
 * @param kind Firecracker, QEMU, or none when nothing can run guests here
 * @param binary what the daemon starts as "firecracker" for each VM: firecracker itself or
 *     hearth-qemu-firecracker; empty exactly when {@code kind} is {@link VmmKind#NONE}
 * @param reason why, in one sentence a person can act on
 * @param kvm what the KVM probe found, which the choice rests on
 * @param softwareEmulation whether guests run under QEMU without KVM (TCG), which is slow
 * @param jailer Firecracker's jailer, through which each VM's firecracker is started; only with
 *     {@link VmmKind#FIRECRACKER}
 */
public record VmmChoice(
    VmmKind kind,
    Optional<Path> binary,
    String reason,
    KvmStatus kvm,
    boolean softwareEmulation,
    Optional<Path> jailer) {

  /** A choice without the jailer. */
  public VmmChoice(
      VmmKind kind,
      Optional<Path> binary,
      String reason,
      KvmStatus kvm,
      boolean softwareEmulation) {
    this(kind, binary, reason, kvm, softwareEmulation, Optional.empty());
  }

  public VmmChoice {
    requireNonNull(kind, "kind");
    requireNonNull(binary, "binary");
    requireNonNull(reason, "reason");
    requireNonNull(kvm, "kvm");
    if (binary.isPresent() == (kind == VmmKind.NONE)) {
      throw new IllegalArgumentException(
          "a VMM choice has a binary exactly when it is not none: " + kind + ", " + binary);
    }
    requireNonNull(jailer, "jailer");
    if (jailer.isPresent() && kind != VmmKind.FIRECRACKER) {
      throw new IllegalArgumentException("only Firecracker runs under the jailer, not " + kind);
    }
  }

  /** The same choice, each VM started through {@code jailerBin}. */
  public VmmChoice withJailer(Path jailerBin) {
    return new VmmChoice(
        kind,
        binary,
        reason + "; each VM is started through the jailer " + jailerBin,
        kvm,
        softwareEmulation,
        Optional.of(jailerBin));
  }

  /** Whether guests can be started at all. */
  public boolean runnable() {
    return kind != VmmKind.NONE;
  }

  /**
   * The binary to start for a VM.
   *
   * @throws FirecrackerBinaryException naming why no VMM can run here
   */
  public Path requireBinary() {
    return binary.orElseThrow(
        () -> new FirecrackerBinaryException("no VMM can run VMs on this host: " + reason));
  }
}
