package dev.hearth.fcproc.net;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EgressGate} of the daemon: knows each VM's guest address and policy, refuses names its
 * allow list does not cover (counting and remembering the last {@value #REFUSALS_KEPT}), and puts
 * the addresses of allowed names into the VM's nft set ({@link EgressRules}) for the answer's TTL,
 * clamped to {@link #MIN_TTL}..{@link #MAX_TTL}. It also remembers those addresses, so that a new
 * policy keeps the ones of names it still allows. A guest address it does not know resolves
 * everything (it belongs to no VM under a policy).
 *
 * <p>Thread-safe: the DNS calls it from its threads while the daemon changes policies.
 */
public final class PolicyEgressGate implements EgressGate {
  private static final Logger log = LoggerFactory.getLogger(PolicyEgressGate.class);

  /** Shortest time an allowed address stays reachable after an answer. */
  public static final Duration MIN_TTL = Duration.ofSeconds(30);

  /** Longest time an allowed address stays reachable after one answer. */
  public static final Duration MAX_TTL = Duration.ofDays(1);

  /** How many refused names are remembered per VM. */
  public static final int REFUSALS_KEPT = 32;

  private final EgressRules rules;
  private final Clock clock;
  private final Map<Ipv4, Guest> guests = new HashMap<>();

  /** One name the gate refused for a guest, and when. */
  public record Refusal(String name, Instant at) {}

  /**
   * A VM's egress as the gate and the kernel saw it.
   *
   * @param refusedNames how many questions the VM DNS answered REFUSED
   * @param lastRefused the last refused names, most recent first
   * @param denials the packets the kernel refused and the last destinations
   */
  public record Status(
      EgressPolicy policy,
      long refusedNames,
      List<Refusal> lastRefused,
      EgressRules.Denials denials) {
    public Status {
      requireNonNull(policy, "policy");
      lastRefused = List.copyOf(lastRefused);
      requireNonNull(denials, "denials");
    }
  }

  private static final class Guest {
    final String vm;
    EgressPolicy policy;
    long refused;
    final Deque<Refusal> lastRefused = new ArrayDeque<>();
    // (name, address) -> expiry in clock nanos, in insertion order so the oldest goes first.
    final Map<Learned, Long> learned = new LinkedHashMap<>();

    Guest(String vm, EgressPolicy policy) {
      this.vm = vm;
      this.policy = policy;
    }
  }

  private record Learned(String name, Ipv4 address) {}

  public PolicyEgressGate(EgressRules rules, Clock clock) {
    this.rules = requireNonNull(rules, "rules");
    this.clock = requireNonNull(clock, "clock");
  }

  /** The nft side, for the daemon's start and reconcile. */
  public EgressRules rules() {
    return rules;
  }

  /**
   * Puts the VM's guest under {@code policy}, live: one nft transaction replaces its rules, so its
   * next connection follows the new policy. Addresses learned for names the new policy still allows
   * stay reachable for the rest of their TTL.
   *
   * @throws HostNetworkException when nft fails; the gate then keeps the policy it had
   */
  public synchronized void apply(String vm, Ipv4 guest, EgressPolicy policy)
      throws InterruptedException {
    requireNonNull(vm, "vm");
    requireNonNull(policy, "policy");
    Guest state = guests.get(guest);
    Map<Ipv4, Duration> keep = new HashMap<>();
    if (state != null) {
      long now = clock.nanoTime();
      state.learned.entrySet().removeIf(e -> e.getValue() - now <= 0);
      state.learned.forEach(
          (learned, expiry) -> {
            if (policy.allowsName(learned.name())) {
              keep.merge(
                  learned.address(), Duration.ofNanos(expiry - now), PolicyEgressGate::longer);
            }
          });
    }
    rules.apply(guest, policy, keep);
    if (state == null || !state.vm.equals(vm)) {
      state = new Guest(vm, policy);
      guests.put(guest, state);
    }
    state.policy = policy;
    state.learned.keySet().removeIf(l -> !policy.allowsName(l.name()));
  }

  /** Forgets the guest and removes its rules (the VM is deleted). */
  public synchronized void forget(Ipv4 guest) throws InterruptedException {
    guests.remove(guest);
    rules.remove(guest);
  }

  /** The policy the gate holds the guest to, if it knows it. */
  public synchronized Optional<EgressPolicy> policy(Ipv4 guest) {
    Guest state = guests.get(guest);
    return state == null ? Optional.empty() : Optional.of(state.policy);
  }

  /** The guest's policy, refusals and the kernel's denial count and last denials. */
  public Status status(Ipv4 guest) throws InterruptedException {
    EgressPolicy policy;
    long refused;
    List<Refusal> last;
    synchronized (this) {
      Guest state = guests.get(guest);
      if (state == null) {
        policy = EgressPolicy.OPEN;
        refused = 0;
        last = List.of();
      } else {
        policy = state.policy;
        refused = state.refused;
        last = new ArrayList<>(state.lastRefused);
      }
    }
    return new Status(policy, refused, last, rules.denials(guest));
  }

  @Override
  public boolean mayResolve(Ipv4 guest, String name) {
    synchronized (this) {
      Guest state = guests.get(guest);
      if (state == null || state.policy.allowsName(name)) {
        return true;
      }
      state.refused++;
      state.lastRefused.addFirst(new Refusal(name, clock.now()));
      while (state.lastRefused.size() > REFUSALS_KEPT) {
        state.lastRefused.removeLast();
      }
      log.info(
          "egress: VM {} ({}) may not resolve {} under policy {}; answered REFUSED",
          state.vm,
          guest,
          name,
          state.policy);
      return false;
    }
  }

  @Override
  public void resolved(Ipv4 guest, String name, List<Ipv4> addresses, Duration ttl) {
    synchronized (this) {
      Guest state = guests.get(guest);
      if (state == null
          || state.policy.mode() != EgressPolicy.Mode.ALLOW
          || !state.policy.allowsName(name)
          || addresses.isEmpty()) {
        return;
      }
      Duration clamped = ttl.compareTo(MIN_TTL) < 0 ? MIN_TTL : ttl;
      clamped = clamped.compareTo(MAX_TTL) > 0 ? MAX_TTL : clamped;
      long now = clock.nanoTime();
      List<Ipv4> add = new ArrayList<>();
      Map<Ipv4, Duration> longest = new HashMap<>();
      for (Map.Entry<Learned, Long> e : state.learned.entrySet()) {
        if (addresses.contains(e.getKey().address()) && e.getValue() - now > 0) {
          longest.merge(
              e.getKey().address(), Duration.ofNanos(e.getValue() - now), PolicyEgressGate::longer);
        }
      }
      for (Ipv4 address : addresses) {
        // Never shorten what another answer granted.
        Duration current = longest.getOrDefault(address, Duration.ZERO);
        if (current.compareTo(clamped) < 0) {
          add.add(address);
        }
        Learned key = new Learned(name, address);
        state.learned.remove(key);
        state.learned.put(key, now + clamped.toNanos());
      }
      while (state.learned.size() > EgressRules.ALLOWED_SIZE) {
        state.learned.remove(state.learned.keySet().iterator().next());
      }
      try {
        rules.allow(guest, add, clamped);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (HostNetworkException e) {
        log.warn(
            "egress: could not let VM {} ({}) reach {} for {}: {}",
            state.vm,
            guest,
            add,
            name,
            e.getMessage());
      }
    }
  }

  private static Duration longer(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
