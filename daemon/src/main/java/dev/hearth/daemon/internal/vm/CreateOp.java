package dev.hearth.daemon.internal.vm;

import dev.hearth.opstate.AsyncOp;

/** A {@code vm.create} operation; its target is the VM's name. */
public final class CreateOp extends AsyncOp {
  public static final String KIND = "vm.create";

  public CreateOp(String vmName) {
    super(KIND, vmName);
  }
}
