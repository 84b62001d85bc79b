package dev.hearth.daemon;

import java.util.Locale;

/** Where an operation is: running, then exactly one of the three final states. */
public enum OpState {
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  public boolean finished() {
    return this != RUNNING;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The state a wire name spells; {@code protocol} error for an unknown one. */
  public static OpState fromWireName(String name) {
    for (OpState s : values()) {
      if (s.wireName().equals(name)) {
        return s;
      }
    }
    throw new HearthException(
        HearthException.Kind.PROTOCOL, "unknown operation state '" + name + "'");
  }
}
