package dev.hearth.core;

/**
 * The bounds of a VM's size, in one place: {@link ConfigKey}'s validation of the defaults and the
 * daemon's request records both use them.
 */
public final class Limits {
  private Limits() {}

  public static final int MIN_VCPUS = 1;
  public static final int MAX_VCPUS = 32;
  public static final int MIN_MEMORY_MIB = 128;
  public static final int MAX_MEMORY_MIB = 262144;
}
