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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EgressGate} of the daemon: knows each VM's guest address and policy, refuses names its
 * allow list does not cover (counting and remembering the last {@value #REFUSALS_KEPT}), and puts
 * the addresses of allowed names into the VM's nft set ({@link EgressRules}) for the answer's TTL,
 * clamped to {@link #MIN_TTL}..{@link #MAX_TTL}, and half as long again. It also remembers those
 * addresses, so that a new policy keeps the ones of names it still allows. A guest address it does
 * not know resolves everything (it belongs to no VM under a policy).
 *
 * <p>nft runs for an address only when what is left of its timeout is shorter than the answer's
 * (clamped) TTL; the extra half of each grant means that a guest asking for an allowed name in a
 * loop costs one nft run per address per half TTL, not one per answer, while the address stays
 * reachable for at least the TTL of every answer the guest got (its cache).
 *
 * <p>Thread-safe: the DNS calls it from its threads while the daemon changes policies. The monitor
 * guards the gate's state only, never an nft run. {@link #apply} and {@link #forget} hold the write
 * lock of {@code changes} across their nft run; {@link #resolved} holds its read lock from reading
 * the policy to the end of its nft run, and the guest's own lock (its answers reach nft one at a
 * time, in order). So one guest's nft run makes no other guest's answer and no DNS question wait,
 * and no address is added across a policy change: an allow planned under the old policy has run
 * before the change's nft replaces the set, and one after it reads the new policy. A change waits
 * for the runs under way (each bounded by the runner's time-out).
 */
public final class PolicyEgressGate implements EgressGate {
  private static final Logger log = LoggerFactory.getLogger(PolicyEgressGate.class);

  /** Shortest time an allowed address stays reachable after an answer. */
  public static final Duration MIN_TTL = Duration.ofSeconds(30);

  /**
   * Longest TTL an answer's addresses are granted for; with the half added to each grant, an
   * address stays reachable at most 1.5 times this after one answer.
   */
  public static final Duration MAX_TTL = Duration.ofDays(1);

  /** How many refused names are remembered per VM. */
  public static final int REFUSALS_KEPT = 32;

  private final EgressRules rules;
  private final Clock clock;
  private final Map<Ipv4, Guest> guests = new HashMap<>();

  /**
   * Exclusive for a policy change, shared by the answers' nft runs. Fair, so that a change waits
   * only for the runs already under way and the answers after it wait for it.
   */
  private final ReadWriteLock changes = new ReentrantReadWriteLock(true);

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
    // (name, address) -> expiry in clock nanos, in insertion order so the oldest goes first. The
    // latest expiry of an address is when its element in the nft set times out.
    final Map<Learned, Long> learned = new LinkedHashMap<>();

    /**
     * Held from planning an answer's nft run to recording it, so that one guest's answers reach nft
     * in the order they were planned (a later, longer grant never overtaken by a shorter one).
     */
    final Lock allowing = new ReentrantLock();

    Guest(String vm, EgressPolicy policy) {
      this.vm = vm;
      this.policy = policy;
    }
  }

  private record Learned(String name, Ipv4 address) {}

  /**
   * What an answer changes: the addresses whose nft timeout is set to {@code grant}, and the new
   * expiry (clock nanos) of each (name, address) of the answer.
   */
  private record Plan(List<Ipv4> refresh, Duration grant, Map<Learned, Long> expiries) {}

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
  public void apply(String vm, Ipv4 guest, EgressPolicy policy) throws InterruptedException {
    requireNonNull(vm, "vm");
    requireNonNull(policy, "policy");
    Lock change = changes.writeLock();
    change.lockInterruptibly();
    try {
      rules.apply(guest, policy, stillAllowed(guest, policy));
      synchronized (this) {
        Guest state = guests.get(guest);
        if (state == null || !state.vm.equals(vm)) {
          state = new Guest(vm, policy);
          guests.put(guest, state);
        }
        state.policy = policy;
        state.learned.keySet().removeIf(l -> !policy.allowsName(l.name()));
      }
    } finally {
      change.unlock();
    }
  }

  /** The learned addresses of names {@code policy} allows, with what is left of their timeout. */
  private synchronized Map<Ipv4, Duration> stillAllowed(Ipv4 guest, EgressPolicy policy) {
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
    return keep;
  }

  /** Forgets the guest and removes its rules (the VM is deleted). */
  public void forget(Ipv4 guest) throws InterruptedException {
    Lock change = changes.writeLock();
    change.lockInterruptibly();
    try {
      synchronized (this) {
        guests.remove(guest);
      }
      rules.remove(guest);
    } finally {
      change.unlock();
    }
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
    if (addresses.isEmpty()) {
      return;
    }
    Lock shared = changes.readLock();
    try {
      shared.lockInterruptibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    try {
      Guest state;
      synchronized (this) {
        state = guests.get(guest);
        if (state == null
            || state.policy.mode() != EgressPolicy.Mode.ALLOW
            || !state.policy.allowsName(name)) {
          return;
        }
      }
      allow(guest, state, name, addresses, ttl);
    } finally {
      shared.unlock();
    }
  }

  /** Plans, runs and records one answer's nft run, holding the guest's lock. */
  private void allow(Ipv4 guest, Guest state, String name, List<Ipv4> addresses, Duration ttl) {
    Plan plan;
    try {
      state.allowing.lockInterruptibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    try {
      synchronized (this) {
        plan = plan(state, name, addresses, ttl);
      }
      // Outside the monitor: other guests' answers and every DNS question go on meanwhile.
      rules.allow(guest, plan.refresh(), plan.grant());
      synchronized (this) {
        plan.expiries().forEach(state.learned::remove);
        state.learned.putAll(plan.expiries());
        while (state.learned.size() > EgressRules.ALLOWED_SIZE) {
          state.learned.remove(state.learned.keySet().iterator().next());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (HostNetworkException e) {
      // Nothing recorded: the next answer tries again.
      log.warn(
          "egress: could not let VM {} ({}) reach {} for {}: {}",
          state.vm,
          guest,
          addresses,
          name,
          e.getMessage());
    } finally {
      state.allowing.unlock();
    }
  }

  /**
   * Which of the answer's addresses nft must refresh: those with less left of their timeout than
   * the (clamped) TTL, which get the TTL and half as much again; the others are left alone, so that
   * a guest repeating a question costs one nft run per address per half TTL. Never shortens what
   * another answer granted.
   */
  private Plan plan(Guest state, String name, List<Ipv4> addresses, Duration ttl) {
    Duration clamped = ttl.compareTo(MIN_TTL) < 0 ? MIN_TTL : ttl;
    clamped = clamped.compareTo(MAX_TTL) > 0 ? MAX_TTL : clamped;
    Duration grant = clamped.plus(clamped.dividedBy(2));
    long now = clock.nanoTime();
    Map<Ipv4, Long> timesOut = new HashMap<>();
    for (Map.Entry<Learned, Long> e : state.learned.entrySet()) {
      if (addresses.contains(e.getKey().address()) && e.getValue() - now > 0) {
        timesOut.merge(e.getKey().address(), e.getValue(), PolicyEgressGate::later);
      }
    }
    List<Ipv4> refresh = new ArrayList<>();
    Map<Learned, Long> expiries = new LinkedHashMap<>();
    for (Ipv4 address : new LinkedHashSet<>(addresses)) {
      long granted = now + grant.toNanos();
      long current = timesOut.getOrDefault(address, now);
      long expiry;
      if (current - now < clamped.toNanos()) {
        refresh.add(address);
        expiry = granted;
      } else {
        // Left as it is: this name's entry claims no more than the set holds.
        expiry = current - granted < 0 ? current : granted;
      }
      Learned key = new Learned(name, address);
      Long had = state.learned.get(key);
      expiries.put(key, had == null ? expiry : later(had, expiry));
    }
    return new Plan(refresh, grant, expiries);
  }

  private static long later(long a, long b) {
    return a - b >= 0 ? a : b;
  }

  private static Duration longer(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
