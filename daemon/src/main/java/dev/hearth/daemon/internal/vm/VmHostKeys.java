package dev.hearth.daemon.internal.vm;

import dev.hearth.core.Store;
import dev.hearth.session.GuestHostKeys;
import java.util.Optional;

/**
 * The VMs' pinned SSH host keys, from the {@code vms} table, for the daemon's SSH client: an
 * address is the VM that has it (port 22, the only one hearth dials). A VM made before keys were
 * pinned has none until its first contact, which pins the key it shows: from then on the VM's TAP
 * guard lets only that VM use its address, so the first contact reaches the VM itself.
 */
public final class VmHostKeys implements GuestHostKeys {
  private final VmStore vms;

  public VmHostKeys(Store store) {
    this.vms = new VmStore(store);
  }

  @Override
  public Optional<Known> lookup(String ip, int port) {
    return vms.hostKeyByIp(ip).map(k -> new Known(k.vm(), k.publicKeyLine()));
  }

  @Override
  public void pin(String vm, String publicKeyLine) {
    vms.pinHostKeyIfNone(vm, publicKeyLine);
  }
}
