package dev.hearth.opstate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The watches of a registry's running operations. Every method is called with the registry's lock
 * held; an {@link OpWatch} never blocks, so offering under the lock is safe.
 */
final class OpWatchers {
  private final Map<String, List<OpWatch>> watchers = new HashMap<>();

  void add(OpWatch watch) {
    watchers.computeIfAbsent(watch.opId(), id -> new ArrayList<>()).add(watch);
  }

  void remove(OpWatch watch) {
    List<OpWatch> opWatchers = watchers.get(watch.opId());
    if (opWatchers != null) {
      opWatchers.remove(watch);
      if (opWatchers.isEmpty()) {
        watchers.remove(watch.opId());
      }
    }
  }

  /** Counts a change of {@code op} and offers its snapshot to its watches. */
  void changed(AsyncOp op) {
    op.version++;
    List<OpWatch> opWatchers = watchers.get(op.id());
    if (opWatchers != null) {
      OpSnapshot snapshot = op.snapshotLocked();
      opWatchers.forEach(w -> w.offer(snapshot));
    }
  }

  /** Offers the final snapshot to the op's watches and forgets them. */
  void ended(String opId, OpSnapshot last) {
    List<OpWatch> opWatchers = watchers.remove(opId);
    if (opWatchers != null) {
      opWatchers.forEach(w -> w.offer(last));
    }
  }
}
