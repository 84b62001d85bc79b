package dev.hearth.session;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The session registry (ARCHITECTURE.md, "Guest sessions"): the controllers of every known session,
 * by VM. Its own monitor is a leaf lock, held only to read or change the maps (never across guest
 * I/O).
 */
final class SessionRegistry {
  private final Map<String, Map<String, SessionController>> byVm = new HashMap<>();
  private final Map<String, ReentrantLock> startLocks = new HashMap<>();
  private final Map<String, List<SessionListing.Broken>> brokenByVm = new HashMap<>();

  /**
   * Records what a list script found for a VM. Controllers are only added or updated, never dropped
   * here: a list that raced with a start may miss the new session, and a writer may hold its
   * controller's lock meanwhile (guest folders are never removed; a deleted VM's go at {@link
   * #forget}).
   */
  synchronized void update(String vmId, List<SessionInfo> found) {
    Map<String, SessionController> known = byVm.computeIfAbsent(vmId, k -> new HashMap<>());
    for (SessionInfo info : found) {
      SessionController c = known.get(info.id());
      if (c == null) {
        known.put(info.id(), new SessionController(vmId, info));
      } else {
        c.update(info);
      }
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
    update(vmId, List.of(info));
    return byVm.get(vmId).get(info.id());
  }

  synchronized Optional<SessionController> find(String vmId, String sessionId) {
    return Optional.ofNullable(byVm.getOrDefault(vmId, Map.of()).get(sessionId));
  }

  /**
   * The lock that serialises starts on one VM, so that the name check and the creation in the guest
   * are one step. A leaf, held across the start script only.
   */
  synchronized ReentrantLock startLock(String vmId) {
    return startLocks.computeIfAbsent(vmId, k -> new ReentrantLock());
  }

  /** Forgets a deleted VM's sessions. */
  synchronized void forget(String vmId) {
    byVm.remove(vmId);
    startLocks.remove(vmId);
    brokenByVm.remove(vmId);
  }
}
