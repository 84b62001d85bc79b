package dev.hearth.session;

import java.util.Objects;

/**
 * Where a guest's SSH server answers, and the VM it belongs to (for messages).
 *
 * @param vm the VM's name
 * @param host its address (the VM's IP)
 * @param port its SSH port (22)
 */
public record GuestTarget(String vm, String host, int port) {
  public GuestTarget {
    Objects.requireNonNull(vm, "vm");
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1..65535, not " + port);
    }
  }

  /** {@code VM demo (root@10.77.0.2:22)}, how messages name the guest. */
  public String describe() {
    return "VM " + vm + " (" + MinaGuestDialer.address(host, port) + ")";
  }
}
