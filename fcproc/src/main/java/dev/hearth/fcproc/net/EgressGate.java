package dev.hearth.fcproc.net;

import java.time.Duration;
import java.util.List;

/**
 * The one seam between the VM DNS and the per-VM egress policy. The DNS asks before it forwards a
 * guest's question upstream, and reports the upstream's addresses before it sends the answer to the
 * guest, so that an allowed address is in the VM's egress set before the guest can connect to it.
 */
public interface EgressGate {

  /**
   * Whether the guest at {@code guest} may have {@code name} resolved upstream; {@code false} makes
   * the DNS answer REFUSED. An implementation counts and records its refusals.
   *
   * @param name the question's name in lower case, without the trailing dot
   */
  boolean mayResolve(Ipv4 guest, String name);

  /**
   * The upstream answered {@code name} for the guest at {@code guest} with {@code addresses} (A
   * records only, possibly none), valid for {@code ttl}. Called before the answer reaches the
   * guest.
   */
  void resolved(Ipv4 guest, String name, List<Ipv4> addresses, Duration ttl);

  /** Every name may be resolved and nothing is recorded: egress {@code open} for every VM. */
  EgressGate OPEN =
      new EgressGate() {
        @Override
        public boolean mayResolve(Ipv4 guest, String name) {
          return true;
        }

        @Override
        public void resolved(Ipv4 guest, String name, List<Ipv4> addresses, Duration ttl) {}
      };
}
