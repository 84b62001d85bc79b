package dev.hearth.daemon;

import java.util.Locale;

/** A VM's state; {@link #wireName()} is how the daemon's JSON spells it. */
public enum VmState {
  CREATING,
  STARTING,
  RUNNING,
  STOPPING,
  STOPPED,
  ERROR;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The state a wire name spells; {@code protocol} error for an unknown one. */
  public static VmState fromWireName(String name) {
    for (VmState s : values()) {
      if (s.wireName().equals(name)) {
        return s;
      }
    }
    throw new HearthException(HearthException.Kind.PROTOCOL, "unknown VM state '" + name + "'");
  }
}
