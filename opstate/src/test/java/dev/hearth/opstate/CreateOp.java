package dev.hearth.opstate;

/** An op subclass with a field of its own, as the daemon's CreateVmOp will have. */
final class CreateOp extends AsyncOp {
  static final String KIND = "vm.create";

  final int vcpus;

  CreateOp(String vmName, int vcpus) {
    super(KIND, vmName);
    this.vcpus = vcpus;
  }
}
