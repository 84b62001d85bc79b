package dev.hearth.daemon.internal.guest;

import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.session.GuestTarget;

/**
 * Where a VM's guest answers SSH. The daemon reaches guests at the VM's IP on port 22; tests map a
 * VM to an sshd of their own.
 */
@FunctionalInterface
public interface GuestRoute {
  /** The guest's SSH port. */
  int SSH_PORT = 22;

  GuestTarget target(Vm vm);

  /** The VM's IP, port 22. */
  static GuestRoute vmAddress() {
    return vm -> new GuestTarget(vm.name(), vm.ip(), SSH_PORT);
  }
}
