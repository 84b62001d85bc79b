package dev.hearth.fcproc.dns;

import dev.hearth.fcproc.net.Ipv4;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The VM DNS's table: each VM's name and address. The daemon keeps it in step with its VMs (a name
 * is present while its VM exists, stopped included); the DNS server reads it for every question.
 * Thread-safe. Names are held in lower case, since DNS names compare case-insensitively.
 */
public final class DnsRecords {
  private final Map<String, Ipv4> byName = new HashMap<>();

  /** Sets a VM's address, replacing an earlier one of the same name. */
  public synchronized void put(String vm, Ipv4 address) {
    byName.put(vm.toLowerCase(Locale.ROOT), address);
  }

  /** Forgets a VM; an unknown name is not an error. */
  public synchronized void remove(String vm) {
    byName.remove(vm.toLowerCase(Locale.ROOT));
  }

  /** The address of the VM of this name (any case). */
  public synchronized Optional<Ipv4> address(String vm) {
    return Optional.ofNullable(byName.get(vm.toLowerCase(Locale.ROOT)));
  }

  /** The name of the VM at this address, for reverse (PTR) questions. */
  public synchronized Optional<String> name(Ipv4 address) {
    // Few VMs: a scan costs less than keeping a second map in step.
    return byName.entrySet().stream()
        .filter(e -> e.getValue().equals(address))
        .map(Map.Entry::getKey)
        .sorted()
        .findFirst();
  }
}
