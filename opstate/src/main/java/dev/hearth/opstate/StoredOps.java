package dev.hearth.opstate;

import dev.hearth.core.StoreException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A registry's persistence: its kinds' rows in an {@link OpStore}, or nothing for a registry kept
 * in memory only. Which store failures stop an operation and which are only logged is decided here.
 */
final class StoredOps {
  private static final Logger log = LoggerFactory.getLogger(Registry.class);

  private final OpStore store;
  private final Set<String> kinds;

  /**
   * @param store null for a registry kept in memory only
   */
  StoredOps(OpStore store, Set<String> kinds) {
    this.store = store;
    this.kinds = kinds;
  }

  /**
   * Stores an operation's start.
   *
   * @throws StoreException when it cannot be stored (the op must then not run)
   */
  void saveStart(OpSnapshot first) {
    if (store != null) {
      store.save(first);
    }
  }

  /** Stores a new stage; a failure is only logged, since only crash reports need it. */
  void saveStage(OpSnapshot changed) {
    if (store != null) {
      try {
        store.save(changed);
      } catch (StoreException e) {
        // Only crash reports need the stored stage; the op itself goes on.
        log.warn("cannot store stage {} of operation {}", changed.stage(), changed.describe(), e);
      }
    }
  }

  /** Stores an operation's end; a failure is logged and the op still ends in memory. */
  void saveEnd(OpSnapshot last) {
    if (store != null) {
      try {
        store.save(last);
      } catch (StoreException e) {
        // The op still ends in memory; after a restart it will read as interrupted.
        log.error("cannot store the end of operation {}", last.describe(), e);
      }
    }
  }

  List<OpSnapshot> findByPrefix(String prefix) {
    return store == null ? List.of() : store.findByPrefix(prefix, kinds);
  }

  /** The stored operations that ended after {@code cutoff}. */
  List<OpSnapshot> finishedAfter(Instant cutoff) {
    if (store == null) {
      return List.of();
    }
    return store.listFinishedSince(cutoff, kinds).stream()
        .filter(stored -> stored.finishedAt().orElseThrow().isAfter(cutoff))
        .toList();
  }

  void deleteFinishedBefore(Instant cutoff) {
    if (store != null) {
      store.deleteFinishedBefore(cutoff, kinds);
    }
  }
}
