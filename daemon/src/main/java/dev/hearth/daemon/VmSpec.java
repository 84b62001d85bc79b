package dev.hearth.daemon;

import dev.hearth.core.Limits;
import dev.hearth.core.Names;
import dev.hearth.core.rpc.Wire;
import dev.hearth.fcproc.net.EgressPolicy;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A VM to create. A bad value throws {@link HearthException.Kind#INVALID} naming the field (by its
 * wire name, as the daemon answers it) and the value.
 *
 * @param vcpus 1 to 32; the config's {@code default_vcpus} when empty
 * @param memoryMib 128 to 262144; the config's {@code default_memory_mib} when empty
 * @param diskSizeBytes the root disk's size, positive; the image's size when empty (or larger)
 * @param noStart stop after the identity stage, leaving the VM stopped
 * @param egress the egress policy ({@code open}, {@code none} or {@code allow:NAME[,NAME...]}); the
 *     config's {@code default_egress} when empty
 */
public record VmSpec(
    String name,
    String image,
    OptionalInt vcpus,
    OptionalInt memoryMib,
    OptionalLong diskSizeBytes,
    boolean noStart,
    Optional<String> egress) {

  private static final String METHOD = "vm.create";

  public VmSpec {
    requireName("name", name);
    requireName("image", image);
    Objects.requireNonNull(vcpus, "vcpus");
    Objects.requireNonNull(memoryMib, "memoryMib");
    Objects.requireNonNull(diskSizeBytes, "diskSizeBytes");
    if (vcpus.isPresent()) {
      requireRange("vcpus", vcpus.getAsInt(), Limits.MIN_VCPUS, Limits.MAX_VCPUS);
    }
    if (memoryMib.isPresent()) {
      requireRange(
          "memory_mib", memoryMib.getAsInt(), Limits.MIN_MEMORY_MIB, Limits.MAX_MEMORY_MIB);
    }
    if (diskSizeBytes.isPresent() && diskSizeBytes.getAsLong() <= 0) {
      throw invalid("disk_size", "must be positive; got " + diskSizeBytes.getAsLong());
    }
    Objects.requireNonNull(egress, "egress");
    egress = egress.map(p -> canonicalEgress(METHOD, p));
  }

  /** With the config's default egress policy. */
  public VmSpec(
      String name,
      String image,
      OptionalInt vcpus,
      OptionalInt memoryMib,
      OptionalLong diskSizeBytes,
      boolean noStart) {
    this(name, image, vcpus, memoryMib, diskSizeBytes, noStart, Optional.empty());
  }

  /**
   * The policy in canonical form.
   *
   * @throws HearthException {@code invalid} naming the method, the policy and the bad entry
   */
  public static String canonicalEgress(String method, String policy) {
    try {
      return EgressPolicy.parse(policy).toString();
    } catch (IllegalArgumentException e) {
      throw HearthException.invalid("param 'egress' of " + method + ": " + e.getMessage());
    }
  }

  /** A VM of the image, with the config's defaults, started once created. */
  public static VmSpec of(String name, String image) {
    return new VmSpec(
        name, image, OptionalInt.empty(), OptionalInt.empty(), OptionalLong.empty(), false);
  }

  public VmSpec withVcpus(int count) {
    return new VmSpec(
        name, image, OptionalInt.of(count), memoryMib, diskSizeBytes, noStart, egress);
  }

  public VmSpec withMemoryMib(int mib) {
    return new VmSpec(name, image, vcpus, OptionalInt.of(mib), diskSizeBytes, noStart, egress);
  }

  public VmSpec withDiskSizeBytes(long bytes) {
    return new VmSpec(name, image, vcpus, memoryMib, OptionalLong.of(bytes), noStart, egress);
  }

  public VmSpec withNoStart(boolean value) {
    return new VmSpec(name, image, vcpus, memoryMib, diskSizeBytes, value, egress);
  }

  public VmSpec withEgress(String policy) {
    return new VmSpec(name, image, vcpus, memoryMib, diskSizeBytes, noStart, Optional.of(policy));
  }

  private static void requireName(String field, String value) {
    if (value == null) {
      throw HearthException.invalid(METHOD + " needs the param '" + field + "'");
    }
    if (!Names.isValid(value)) {
      throw invalid(
          field,
          "'"
              + Wire.abbreviate(value)
              + "' is not a valid name (lowercase letters, digits and '-', starting with a letter"
              + " or digit, at most 63)");
    }
  }

  private static void requireRange(String field, long value, long min, long max) {
    if (value < min || value > max) {
      throw HearthException.invalid(
          "param '"
              + field
              + "' of "
              + METHOD
              + " must be "
              + min
              + " to "
              + max
              + "; got "
              + value);
    }
  }

  private static HearthException invalid(String field, String why) {
    return HearthException.invalid("param '" + field + "' of " + METHOD + ": " + why);
  }
}
