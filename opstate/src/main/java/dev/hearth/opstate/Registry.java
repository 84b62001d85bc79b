package dev.hearth.opstate;

import dev.hearth.core.Clock;
import dev.hearth.core.Durations;
import dev.hearth.core.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations of some kinds (say {@code vm.create}) that are running or ended recently.
 *
 * <p>Locking: the registry has its own lock, a leaf in hearth's lock order. It is never held while
 * calling the store, cancel hooks or anything else outside this module; watchers are fed through
 * their own bounded queues ({@link OpWatch}), which never block.
 *
 * <p>Persistence: with an {@link OpStore}, each operation is written when it starts (as running),
 * when it enters a stage, and when it ends, before waiters and watchers hear of the end, so that
 * lookups by id keep working after a daemon restart. A stored end is never overwritten. Lookups and
 * listings merge memory with the stored operations of this registry's kinds.
 *
 * <p>Retention: finished operations are listed for {@code retention} after they end; {@link
 * #prune()} then forgets them, in memory and in the store. Time comes from the injected {@link
 * Clock}.
 *
 * <p>Parts (package-private, sharing this lock where they need one): {@link OpRunner} runs the work
 * and ends the op, {@link StoredOps} is the persistence, {@link OpWatchers} the watches, and {@link
 * OpListing} the lookup answers and the listing order.
 */
public final class Registry<T extends AsyncOp> implements AutoCloseable {
  /** Queue size of a watch created without one. */
  public static final int DEFAULT_WATCH_CAPACITY = 64;

  private static final Logger log = LoggerFactory.getLogger(Registry.class);
  private static final Pattern ID_PREFIX = Pattern.compile("[0-9a-f]{1,16}");

  private final Clock clock;
  private final Duration retention;
  private final Set<String> kinds;
  private final StoredOps store;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition publishedCondition = lock.newCondition();
  private final Map<String, T> ops = new LinkedHashMap<>();
  private final OpWatchers watchers = new OpWatchers();
  private final OpRunner runner;
  private boolean closed;

  /** A registry kept in memory only. */
  public Registry(Clock clock, Duration retention, Set<String> kinds) {
    this(clock, retention, kinds, null);
  }

  /**
   * A registry that also keeps its operations in {@code store}.
   *
   * @param kinds the kinds of operation it holds; it reads only these from the store, so several
   *     registries can share one store
   */
  public Registry(Clock clock, Duration retention, Set<String> kinds, OpStore store) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.retention = Objects.requireNonNull(retention, "retention");
    this.kinds = Set.copyOf(kinds);
    this.store = new StoredOps(store, this.kinds);
    this.runner = new OpRunner(clock, lock, publishedCondition, this.store, watchers);
    if (retention.isNegative()) {
      throw new IllegalArgumentException("operation retention is negative: " + retention);
    }
    if (this.kinds.isEmpty()) {
      throw new IllegalArgumentException("a registry needs at least one operation kind");
    }
  }

  /**
   * Registers {@code op} and runs {@code work} on a new thread of its own (a daemon thread named
   * {@code op-<kind>-<id>}), so that {@link #cancel} can interrupt it.
   *
   * @return the op as it started (running)
   * @throws RegistryClosedException after {@link #close()}
   * @throws StoreException when the start cannot be stored (the op is then not registered)
   */
  public OpSnapshot start(T op, OpWork<? super T> work) {
    OpSnapshot first = admit(op);
    Thread thread =
        new Thread(() -> runner.execute(op, work, false), "op-" + op.kind() + "-" + op.id());
    thread.setDaemon(true);
    thread.start();
    return first;
  }

  /**
   * Registers {@code op} and runs {@code work} on the calling thread, which {@link #cancel} then
   * interrupts. An interrupt delivered by {@code cancel} is consumed when the work ends; any other
   * interrupt is preserved.
   *
   * @return the final snapshot
   */
  public OpSnapshot run(T op, OpWork<? super T> work) {
    admit(op);
    return runner.execute(op, work, true);
  }

  /**
   * Requests cancellation (see {@link AsyncOp}): sets the flag, interrupts the worker thread and
   * runs the op's cancel hooks. The op ends as cancelled when its work returns. Requesting again is
   * harmless.
   *
   * @return the op's state right after the request
   * @throws OpAlreadyFinishedException when the op has ended
   */
  public OpSnapshot cancel(String idOrPrefix) {
    OpSnapshot found = get(idOrPrefix);
    List<Runnable> hooks;
    OpSnapshot after;
    lock.lock();
    try {
      T op = ops.get(found.id());
      if (op == null || op.state.finished()) {
        OpSnapshot current = op == null ? found : op.snapshotLocked();
        throw new OpAlreadyFinishedException(
            "operation " + current.describe() + " has already ended; nothing to cancel");
      }
      hooks = requestCancelLocked(op);
      after = op.snapshotLocked();
    } finally {
      lock.unlock();
    }
    runHooks(found.id(), hooks);
    return after;
  }

  /**
   * The operation whose id is or starts with {@code idOrPrefix}, running or recently ended.
   *
   * @throws OpNotFoundException when none matches
   * @throws AmbiguousOpIdException naming the candidates when several match
   */
  public OpSnapshot get(String idOrPrefix) {
    return OpListing.single(idOrPrefix, matching(idOrPrefix), kinds);
  }

  /** Every operation whose id starts with {@code prefix}, by id; empty for a non-hex prefix. */
  public List<OpSnapshot> matching(String prefix) {
    if (prefix == null || !ID_PREFIX.matcher(prefix).matches()) {
      return List.of();
    }
    Map<String, OpSnapshot> found = new HashMap<>();
    lock.lock();
    try {
      for (T op : ops.values()) {
        if (op.id().startsWith(prefix)) {
          found.put(op.id(), op.snapshotLocked());
        }
      }
    } finally {
      lock.unlock();
    }
    for (OpSnapshot stored : store.findByPrefix(prefix)) {
      found.putIfAbsent(stored.id(), stored);
    }
    List<OpSnapshot> sorted = new ArrayList<>(found.values());
    sorted.sort(Comparator.comparing(OpSnapshot::id));
    return sorted;
  }

  /** The live op object with exactly this id, while this registry holds it in memory. */
  public Optional<T> find(String id) {
    lock.lock();
    try {
      return Optional.ofNullable(ops.get(id));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Running operations (oldest first), then those that ended within the retention (most recent
   * first).
   */
  public List<OpSnapshot> list() {
    Instant cutoff = clock.now().minus(retention);
    Map<String, OpSnapshot> all = new HashMap<>();
    lock.lock();
    try {
      pruneLocked(cutoff);
      for (T op : ops.values()) {
        all.put(op.id(), op.snapshotLocked());
      }
    } finally {
      lock.unlock();
    }
    for (OpSnapshot stored : store.finishedAfter(cutoff)) {
      all.putIfAbsent(stored.id(), stored);
    }
    return OpListing.runningThenRecent(all.values());
  }

  /**
   * Waits until the operation has ended (and its end is stored).
   *
   * @return the final snapshot; for an operation known only from the store, the stored one
   * @throws OpWaitTimeoutException naming the op and its stage when it is still running after
   *     {@code timeout}
   */
  public OpSnapshot awaitFinish(String idOrPrefix, Duration timeout) throws InterruptedException {
    OpSnapshot found = get(idOrPrefix);
    long remaining = timeout.toNanos();
    lock.lockInterruptibly();
    try {
      T op = ops.get(found.id());
      if (op == null) {
        return found;
      }
      while (!op.published) {
        if (remaining <= 0) {
          OpSnapshot now = op.snapshotLocked();
          throw new OpWaitTimeoutException(
              "operation "
                  + now.describe()
                  + " did not end within "
                  + Durations.format(timeout)
                  + "; it is at stage '"
                  + now.stage()
                  + "'");
        }
        remaining = publishedCondition.awaitNanos(remaining);
      }
      return op.finalSnapshot;
    } finally {
      lock.unlock();
    }
  }

  /** {@link #watch(String, int)} with {@link #DEFAULT_WATCH_CAPACITY}. */
  public OpWatch watch(String idOrPrefix) {
    return watch(idOrPrefix, DEFAULT_WATCH_CAPACITY);
  }

  /**
   * Subscribes to the changes of an operation (see {@link OpWatch}). For an operation that has
   * ended, the watch holds just its final snapshot.
   *
   * @param capacity how many snapshots the watch queues before dropping the oldest
   */
  public OpWatch watch(String idOrPrefix, int capacity) {
    OpSnapshot found = get(idOrPrefix);
    lock.lock();
    try {
      T op = ops.get(found.id());
      if (op == null || op.state.finished()) {
        OpWatch ended = new OpWatch(found.id(), capacity, w -> {});
        ended.offer(op == null ? found : op.finalSnapshot);
        return ended;
      }
      OpWatch watch = new OpWatch(op.id(), capacity, this::unwatch);
      watch.offer(op.snapshotLocked());
      watchers.add(watch);
      return watch;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Forgets operations that ended at least {@code retention} ago, in memory and in the store.
   * Running operations are never pruned.
   */
  public void prune() {
    Instant cutoff = clock.now().minus(retention);
    lock.lock();
    try {
      pruneLocked(cutoff);
    } finally {
      lock.unlock();
    }
    store.deleteFinishedBefore(cutoff);
  }

  /**
   * Refuses new operations and requests cancellation of the running ones; it does not wait for them
   * (their stored rows say running until they end, or until the next daemon start marks them
   * interrupted).
   */
  @Override
  public void close() {
    Map<String, List<Runnable>> hooks = new LinkedHashMap<>();
    lock.lock();
    try {
      closed = true;
      for (T op : ops.values()) {
        if (!op.state.finished() && !op.cancelRequested) {
          hooks.put(op.id(), requestCancelLocked(op));
        }
      }
    } finally {
      lock.unlock();
    }
    hooks.forEach(this::runHooks);
  }

  // ---- called by AsyncOp ----

  /** Applies a change to a running op and announces it; ignored once the op has ended. */
  void update(AsyncOp op, Consumer<AsyncOp> change) {
    updateAndSnapshot(op, change);
  }

  /** {@link #update}, then stores the new stage outside the lock. */
  void changeStage(AsyncOp op, Consumer<AsyncOp> change) {
    OpSnapshot changed = updateAndSnapshot(op, change);
    if (changed != null) {
      store.saveStage(changed);
    }
  }

  private OpSnapshot updateAndSnapshot(AsyncOp op, Consumer<AsyncOp> change) {
    lock.lock();
    try {
      if (op.state.finished()) {
        return null;
      }
      change.accept(op);
      watchers.changed(op);
      return op.snapshotLocked();
    } finally {
      lock.unlock();
    }
  }

  <R> R read(AsyncOp op, Function<AsyncOp, R> reader) {
    lock.lock();
    try {
      return reader.apply(op);
    } finally {
      lock.unlock();
    }
  }

  void addCancelHook(AsyncOp op, Runnable hook) {
    lock.lock();
    try {
      if (op.state.finished()) {
        return;
      }
      if (!op.cancelRequested) {
        op.cancelHooks.add(hook);
        return;
      }
    } finally {
      lock.unlock();
    }
    runHooks(op.id(), List.of(hook));
  }

  // ---- internals ----

  private OpSnapshot admit(T op) {
    Objects.requireNonNull(op, "op");
    if (!kinds.contains(op.kind())) {
      throw new IllegalArgumentException(
          "this registry holds operations of kind " + kinds + ", not '" + op.kind() + "'");
    }
    OpSnapshot first;
    lock.lock();
    try {
      if (closed) {
        throw new RegistryClosedException(
            "the operation registry is closed (shutting down); "
                + op.kind()
                + " "
                + op.target()
                + " was not started");
      }
      if (op.owner != null) {
        throw new IllegalStateException("operation " + op.id() + " was already started");
      }
      op.owner = this;
      op.startedAt = clock.now();
      first = op.snapshotLocked();
    } finally {
      lock.unlock();
    }
    // Stored before the work can run, so that the final write always comes after this one.
    try {
      store.saveStart(first);
    } catch (RuntimeException e) {
      op.owner = null;
      throw e;
    }
    lock.lock();
    try {
      pruneLocked(clock.now().minus(retention));
      ops.put(op.id(), op);
    } finally {
      lock.unlock();
    }
    return first;
  }

  private List<Runnable> requestCancelLocked(T op) {
    if (op.cancelRequested) {
      return List.of();
    }
    op.cancelRequested = true;
    if (op.worker != null) {
      op.interruptedByCancel = true;
      op.worker.interrupt();
    }
    List<Runnable> hooks = List.copyOf(op.cancelHooks);
    op.cancelHooks.clear();
    watchers.changed(op);
    return hooks;
  }

  private void runHooks(String opId, List<Runnable> hooks) {
    for (Runnable hook : hooks) {
      try {
        hook.run();
      } catch (RuntimeException e) {
        log.warn("cancel hook of operation {} failed", opId, e);
      }
    }
  }

  private void pruneLocked(Instant cutoff) {
    ops.values().removeIf(op -> op.published && !op.finishedAt.isAfter(cutoff));
  }

  private void unwatch(OpWatch watch) {
    lock.lock();
    try {
      watchers.remove(watch);
    } finally {
      lock.unlock();
    }
  }
}
