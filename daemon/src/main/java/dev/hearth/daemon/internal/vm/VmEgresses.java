package dev.hearth.daemon.internal.vm;

import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VmEgress;
import dev.hearth.fcproc.net.EgressPolicy;
import dev.hearth.fcproc.net.EgressRules;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.PolicyEgressGate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VMs' egress policies (ARCHITECTURE.md, "Egress"): stored on the VM's row, enforced by the
 * {@link PolicyEgressGate} (the VM DNS's gate and the nft rules). A VM's rules live from its
 * reserve stage to its teardown, stopped or running, since they are keyed by its address.
 */
final class VmEgresses {
  private static final Logger log = LoggerFactory.getLogger(VmEgresses.class);

  private final PolicyEgressGate gate;
  private final VmStore vms;

  VmEgresses(PolicyEgressGate gate, VmStore vms) {
    this.gate = gate;
    this.vms = vms;
  }

  /**
   * Records and applies the policy of a VM being created; the caller undoes the create on error.
   */
  synchronized void reserve(Vm vm, EgressPolicy policy) throws InterruptedException {
    vms.setEgress(vm.id(), policy.toString());
    gate.apply(vm.name(), Ipv4.parse(vm.ip()), policy);
  }

  /**
   * Applies a new policy to a VM live, then records it; on an nft failure the old policy stays.
   *
   * @throws HearthException not_found when the VM went meanwhile, host_error when nft fails
   */
  synchronized VmEgress change(Vm vm, EgressPolicy policy) throws InterruptedException {
    if (vms.find(vm.id()).isEmpty()) {
      throw HearthException.notFound("VM '" + vm.name() + "' was deleted meanwhile");
    }
    try {
      gate.apply(vm.name(), Ipv4.parse(vm.ip()), policy);
    } catch (RuntimeException e) {
      throw VmErrors.hostError(e);
    }
    vms.setEgress(vm.id(), policy.toString());
    log.info("VM {} ({}): egress policy now {}", vm.name(), vm.ip(), policy);
    return status(vm);
  }

  /** The VM's recorded policy, its refused names and the kernel's denials. */
  VmEgress status(Vm vm) throws InterruptedException {
    PolicyEgressGate.Status status;
    try {
      status = gate.status(Ipv4.parse(vm.ip()));
    } catch (RuntimeException e) {
      throw VmErrors.hostError(e);
    }
    return new VmEgress(
        vm.name(),
        vms.egress(vm.id()),
        status.refusedNames(),
        status.lastRefused().stream().map(r -> new VmEgress.RefusedName(r.name(), r.at())).toList(),
        status.denials().count(),
        status.denials().last().stream()
            .map(
                d ->
                    new VmEgress.DeniedDestination(
                        d.address().toString(), d.port(), d.ago().toSeconds()))
            .toList());
  }

  /** The VM's recorded policy. */
  EgressPolicy policy(Vm vm) {
    String text = vms.egress(vm.id());
    try {
      return EgressPolicy.parse(text);
    } catch (IllegalArgumentException e) {
      throw new DaemonException(
          "VM " + vm.name() + " has an unreadable egress policy in the store: " + e.getMessage(),
          e);
    }
  }

  /** Removes the VM's rules and forgets it (teardown). */
  synchronized void forget(Vm vm) throws InterruptedException {
    gate.forget(Ipv4.parse(vm.ip()));
  }

  /**
   * After a daemon start: applies the recorded policy of every VM kept, and removes the rules of
   * addresses that belong to no VM. Failures are logged; the VMs stay.
   */
  synchronized void reconcile(List<Vm> kept) throws InterruptedException {
    Set<Ipv4> ours = new HashSet<>();
    for (Vm vm : kept) {
      Ipv4 ip = Ipv4.parse(vm.ip());
      ours.add(ip);
      try {
        gate.apply(vm.name(), ip, policy(vm));
      } catch (RuntimeException e) {
        log.warn("cannot apply the egress policy of VM {}: {}", vm.name(), e.getMessage());
      }
    }
    EgressRules rules = gate.rules();
    try {
      for (Ipv4 guest : rules.guests()) {
        if (!ours.contains(guest)) {
          rules.remove(guest);
          log.info("removed the egress rules of {}, which belongs to no VM", guest);
        }
      }
    } catch (RuntimeException e) {
      log.warn("cannot remove leftover egress rules: {}", e.getMessage());
    }
  }
}
