package dev.hearth.session;

import java.util.Objects;

/**
 * A VM's guest as its sessions know it.
 *
 * @param vmId the VM's id: sessions are tracked per VM id, so a VM made again under the same name
 *     starts with none
 * @param target where its SSH server answers, and the VM's name for messages
 */
public record SessionGuest(String vmId, GuestTarget target) {
  public SessionGuest {
    Objects.requireNonNull(vmId, "vmId");
    Objects.requireNonNull(target, "target");
  }

  /** The VM's name, as messages give it. */
  public String vmName() {
    return target.vm();
  }
}
