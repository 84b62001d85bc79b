package dev.hearth.daemon;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A VM's egress policy and its denials, as {@code vm.egress} reports it.
 *
 * @param policy {@code open}, {@code none} or {@code allow:ENTRY[,ENTRY...]}, canonical
 * @param refusedNames how many names the VM DNS refused for the VM since the daemon started
 * @param lastRefused the last refused names, most recent first
 * @param deniedPackets how many packets the kernel refused since the policy was first applied
 * @param lastDenied the last refused TCP/UDP destinations (within the hour), most recent first
 */
public record VmEgress(
    String vm,
    String policy,
    long refusedNames,
    List<RefusedName> lastRefused,
    long deniedPackets,
    List<DeniedDestination> lastDenied) {

  /** A name the VM DNS answered REFUSED. */
  public record RefusedName(String name, Instant at) {
    public RefusedName {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(at, "at");
    }
  }

  /**
   * A destination the kernel refused.
   *
   * @param secondsAgo at most this long ago (the last denial of it)
   */
  public record DeniedDestination(String address, int port, long secondsAgo) {
    public DeniedDestination {
      Objects.requireNonNull(address, "address");
    }
  }

  public VmEgress {
    Objects.requireNonNull(vm, "vm");
    Objects.requireNonNull(policy, "policy");
    lastRefused = List.copyOf(lastRefused);
    lastDenied = List.copyOf(lastDenied);
  }
}
