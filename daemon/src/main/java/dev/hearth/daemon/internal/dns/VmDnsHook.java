package dev.hearth.daemon.internal.dns;

import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.daemon.internal.vm.VmHook;
import dev.hearth.fcproc.dns.VmDns;
import java.util.List;

/**
 * Keeps fcproc's VM DNS in step with the VMs: a VM's name resolves from its creation to its
 * deletion (stopped included: its address is kept).
 */
public final class VmDnsHook implements VmHook {
  private final VmDns dns;

  public VmDnsHook(VmDns dns) {
    this.dns = dns;
  }

  @Override
  public String name() {
    return "vm-dns";
  }

  @Override
  public void started(Vm vm) {
    dns.put(vm.name(), vm.ip());
  }

  @Override
  public void stopped(Vm vm) {
    dns.put(vm.name(), vm.ip());
  }

  @Override
  public void deleted(Vm vm) {
    dns.remove(vm.name());
  }

  /** Takes every VM of the store (at daemon start: the hooks fire only on changes). */
  public void load(List<Vm> vms) {
    vms.forEach(vm -> dns.put(vm.name(), vm.ip()));
  }
}
