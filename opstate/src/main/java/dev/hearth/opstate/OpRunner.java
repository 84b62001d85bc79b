package dev.hearth.opstate;

import dev.hearth.core.Clock;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an operation's work on the calling thread and ends the operation: stores its final state,
 * then announces it to watchers and waiters. Shares its registry's lock, and never holds it while
 * the work runs or the store is called.
 */
final class OpRunner {
  private static final Logger log = LoggerFactory.getLogger(Registry.class);

  private final Clock clock;
  private final ReentrantLock lock;
  private final Condition publishedCondition;
  private final StoredOps store;
  private final OpWatchers watchers;

  OpRunner(
      Clock clock,
      ReentrantLock lock,
      Condition publishedCondition,
      StoredOps store,
      OpWatchers watchers) {
    this.clock = clock;
    this.lock = lock;
    this.publishedCondition = publishedCondition;
    this.store = store;
    this.watchers = watchers;
  }

  /**
   * Runs {@code work} for {@code op} unless a cancel came first, then ends the op; see {@link
   * Registry#run} for what happens to interrupts and errors.
   */
  <T extends AsyncOp> OpSnapshot execute(T op, OpWork<? super T> work, boolean rethrowErrors) {
    boolean cancelledBeforeStart;
    lock.lock();
    try {
      cancelledBeforeStart = op.cancelRequested;
      if (!cancelledBeforeStart) {
        op.worker = Thread.currentThread();
      }
    } finally {
      lock.unlock();
    }
    if (cancelledBeforeStart) {
      return finish(op, null, new OpCancelledException("cancelled before it started"));
    }
    String result = null;
    Throwable failure = null;
    try {
      result = work.run(op);
    } catch (Throwable e) { // every outcome must end the op, or waiters would wait forever
      failure = e;
    }
    boolean interruptedByCancel;
    lock.lock();
    try {
      op.worker = null;
      interruptedByCancel = op.interruptedByCancel;
    } finally {
      lock.unlock();
    }
    if (interruptedByCancel) {
      // Ours: cancel() interrupted this thread for this op only. No cancel() can interrupt it now.
      Thread.interrupted();
    }
    OpSnapshot last = finish(op, result, failure);
    if (failure instanceof InterruptedException && !interruptedByCancel) {
      Thread.currentThread().interrupt();
    }
    if (failure instanceof Error && rethrowErrors) {
      throw (Error) failure;
    }
    return last;
  }

  /** Ends the op: stores the final state, then announces it to watchers and waiters. */
  private OpSnapshot finish(AsyncOp op, String result, Throwable failure) {
    OpSnapshot last;
    lock.lock();
    try {
      if (failure == null) {
        op.state = OpState.SUCCEEDED;
        op.result = result;
      } else if (op.cancelRequested) {
        op.state = OpState.CANCELLED;
      } else {
        op.state = OpState.FAILED;
        op.error = new OpError(op.stage, reason(failure));
      }
      op.finishedAt = clock.now();
      op.cancelHooks.clear();
      op.version++;
      last = op.snapshotLocked();
      op.finalSnapshot = last;
    } finally {
      lock.unlock();
    }
    if (failure != null && !op.cancelRequested()) {
      log.warn("operation {} failed at stage {}", last.describe(), last.stage(), failure);
    }
    store.saveEnd(last);
    lock.lock();
    try {
      op.published = true;
      watchers.ended(op.id(), last);
      publishedCondition.signalAll();
    } finally {
      lock.unlock();
    }
    return last;
  }

  private static String reason(Throwable failure) {
    if (failure instanceof InterruptedException) {
      return "interrupted";
    }
    String message = failure.getMessage();
    return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
  }
}
