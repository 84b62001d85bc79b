package dev.hearth.session;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The session registry (ARCHITECTURE.md, "Guest sessions"): by VM, the controllers of the sessions
 * its last list named and of those a call is using. Its own monitor is a leaf lock, held only to
 * read or change the maps (never across guest I/O).
 */
final class SessionRegistry {
  private final Map<String, Map<String, SessionController>> byVm = new HashMap<>();
  private final Map<String, ReentrantLock> startLocks = new HashMap<>();
  private final Map<String, List<SessionListing.Broken>> brokenByVm = new HashMap<>();

  /**
   * Records what a list script found for a VM: its controllers become those of the sessions listed
   * (a known one keeps its lock and takes the new state) plus those a call is using. Any other is
   * dropped, so that a guest renaming its folders cannot make the daemon hold more than one list
   * (ARCHITECTURE.md, "Bounds on guest-produced bytes"). One in use is kept: a second controller
   * beside it would let a second writer in. A session a list missed (it raced with the start) is
   * found again by the next lookup.
   */
  synchronized void update(String vmId, List<SessionInfo> found) {
    Map<String, SessionController> last = byVm.getOrDefault(vmId, Map.of());
    Map<String, SessionController> kept = new HashMap<>();
    for (SessionInfo info : found) {
      SessionController c = kept.computeIfAbsent(info.id(), last::get);
      if (c == null) {
        kept.put(info.id(), new SessionController(vmId, info));
      } else {
        c.update(info);
      }
    }
    last.values().stream().filter(c -> c.uses > 0).forEach(c -> kept.putIfAbsent(c.id, c));
    if (kept.isEmpty()) {
      byVm.remove(vmId);
    } else {
      byVm.put(vmId, kept);
    }
  }

  /** Records the session folders the last list of a VM could not read (replacing the last). */
  synchronized void broken(String vmId, List<SessionListing.Broken> broken) {
    if (broken.isEmpty()) {
      brokenByVm.remove(vmId);
    } else {
      brokenByVm.put(vmId, List.copyOf(broken));
    }
  }

  /** The broken session {@code ref} names: its id or a unique id prefix. */
  synchronized Optional<SessionListing.Broken> findBroken(String vmId, String ref) {
    List<SessionListing.Broken> matches =
        brokenByVm.getOrDefault(vmId, List.of()).stream()
            .filter(b -> b.id().startsWith(ref))
            .toList();
    return matches.size() == 1 ? Optional.of(matches.get(0)) : Optional.empty();
  }

  /** The controller of a session just started (a list may have found it first). */
  synchronized SessionController add(String vmId, SessionInfo info) {
    SessionController c =
        byVm.computeIfAbsent(vmId, k -> new HashMap<>())
            .computeIfAbsent(info.id(), id -> new SessionController(vmId, info));
    c.update(info);
    return c;
  }

  synchronized Optional<SessionController> find(String vmId, String sessionId) {
    return Optional.ofNullable(byVm.getOrDefault(vmId, Map.of()).get(sessionId));
  }

  /**
   * The known controller of a session, taken for a call: kept until {@link #release}. Empty when no
   * list named it and no call uses it.
   */
  synchronized Optional<SessionController> acquire(String vmId, String sessionId) {
    Optional<SessionController> c = find(vmId, sessionId);
    c.ifPresent(this::retain);
    return c;
  }

  /**
   * The controller of a session a list just found, taken for a call: kept until {@link #release}.
   * Added again if a later list dropped it meanwhile (no call used it, so no writer holds its
   * lock).
   */
  synchronized SessionController acquire(String vmId, SessionInfo listed) {
    SessionController c =
        byVm.computeIfAbsent(vmId, k -> new HashMap<>())
            .computeIfAbsent(listed.id(), id -> new SessionController(vmId, listed));
    retain(c);
    return c;
  }

  /** One more use of a controller already taken (an attach's input pump, which may outlive it). */
  synchronized void retain(SessionController c) {
    c.uses++;
  }

  /** Ends one use: with none left, the next list of its VM that does not name it drops it. */
  synchronized void release(SessionController c) {
    c.uses--;
  }

  /**
   * The lock that serialises starts on one VM, so that the name check and the creation in the guest
   * are one step. A leaf, held across the start script only.
   */
  synchronized ReentrantLock startLock(String vmId) {
    return startLocks.computeIfAbsent(vmId, k -> new ReentrantLock());
  }

  /**
   * Forgets a deleted VM's sessions, in use or not (its guest is gone; its calls are cancelled).
   */
  synchronized void forget(String vmId) {
    byVm.remove(vmId);
    startLocks.remove(vmId);
    brokenByVm.remove(vmId);
  }
}
