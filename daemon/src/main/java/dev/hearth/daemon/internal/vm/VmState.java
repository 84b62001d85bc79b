package dev.hearth.daemon.internal.vm;

import java.util.Locale;

/**
 * A VM's state (ARCHITECTURE.md, "VMs"); the lower-case name is used on the wire and in the store.
 */
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

  public static VmState fromWireName(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }
}
