package dev.hearth.daemon;

import java.util.Objects;

/**
 * What {@link Vms#create} answers once the VM is reserved (name, address and TAP taken): the VM in
 * state {@code creating}, the operation that builds and boots it, and its snapshot at that moment.
 */
public record VmCreation(Vm vm, Op op, Operation<Vm> operation) {
  public VmCreation {
    Objects.requireNonNull(vm, "vm");
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(operation, "operation");
  }
}
