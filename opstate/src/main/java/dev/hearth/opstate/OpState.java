package dev.hearth.opstate;

import java.util.Locale;

/** Where an operation is in its life: running, then exactly one of the three final states. */
public enum OpState {
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  public boolean finished() {
    return this != RUNNING;
  }

  /** The lower-case name used on the wire and in the store: {@code running}, {@code failed}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The state with the given {@link #wireName()}.
   *
   * @throws IllegalArgumentException naming the value when it is not a state
   */
  public static OpState fromWireName(String name) {
    for (OpState s : values()) {
      if (s.wireName().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "'" + name + "' is not an operation state (running, succeeded, failed, cancelled)");
  }
}
