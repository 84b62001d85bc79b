package dev.hearth.opstate;

import dev.hearth.core.Names;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One asynchronous operation (a VM create, an image build): identity, the live stage, progress and
 * log, and its outcome. Subclasses add what their kind needs (the request, say); such fields should
 * be final or guard themselves, since the registry's lock guards only the state here.
 *
 * <p>The work reports through {@link #stage}, {@link #progress} and {@link #log}. Those calls take
 * the owning {@link Registry}'s lock, so they are safe from any thread; calls made after the
 * operation ended are ignored, so a straggling helper thread cannot rewrite a finished record.
 *
 * <p>Cancellation ({@link Registry#cancel}) sets a flag that the work may poll with {@link
 * #checkCancelled()}, interrupts the thread running the work (so blocking calls such as {@code
 * Thread.sleep}, {@code Object.wait} or interruptible channels return at once), and runs the hooks
 * registered with {@link #onCancel}, for blocking that an interrupt does not reach (a child
 * process, a plain socket).
 */
public class AsyncOp {
  /** How many recent log lines an operation keeps. */
  public static final int MAX_LOG_LINES = 100;

  /** Longer log lines are cut, so that one runaway line cannot fill memory. */
  static final int MAX_LOG_LINE_CHARS = 2000;

  static final String INITIAL_STAGE = "pending";

  private final String id;
  private final String kind;
  private final String target;

  // Set once when started; everything after it is guarded by the owner's lock.
  volatile Registry<?> owner;
  String stage = INITIAL_STAGE;
  int percent = -1;
  final ArrayDeque<String> log = new ArrayDeque<>();
  long logCount;
  OpState state = OpState.RUNNING;
  OpError error;
  Instant startedAt;
  Instant finishedAt;
  String result;
  boolean cancelRequested;
  long version;

  /** The thread running the work, while it runs; cancel() interrupts it. */
  Thread worker;

  /** Whether cancel() interrupted {@link #worker}, so the registry can consume that interrupt. */
  boolean interruptedByCancel;

  final List<Runnable> cancelHooks = new ArrayList<>();

  /** Set once the final state is stored and announced; waiters wait for this. */
  OpSnapshot finalSnapshot;

  boolean published;

  /**
   * A new operation with a fresh id, in stage {@code pending}.
   *
   * @param kind what it does, as an RPC method name: {@code vm.create}, {@code image.build}
   * @param target what it acts on, such as the VM's name
   */
  public AsyncOp(String kind, String target) {
    this.id = Names.newId();
    this.kind = Objects.requireNonNull(kind, "kind");
    this.target = Objects.requireNonNull(target, "target");
    if (kind.isBlank()) {
      throw new IllegalArgumentException("operation kind is empty");
    }
  }

  public final String id() {
    return id;
  }

  public final String kind() {
    return kind;
  }

  public final String target() {
    return target;
  }

  /**
   * Enters a new stage; its progress is unknown until {@link #progress} says otherwise. With a
   * store, the stage is also written there (so that an op cut short by a crash is reported at the
   * stage it reached); call it from the work's thread, where the write cannot race the final one.
   */
  public final void stage(String stage) {
    Objects.requireNonNull(stage, "stage");
    owner()
        .changeStage(
            this,
            op -> {
              op.stage = stage;
              op.percent = -1;
            });
  }

  /** Enters a new stage whose progress is known. */
  public final void stage(String stage, int percent) {
    Objects.requireNonNull(stage, "stage");
    checkPercent(percent);
    owner()
        .changeStage(
            this,
            op -> {
              op.stage = stage;
              op.percent = percent;
            });
  }

  /** The progress of the current stage, 0 to 100. */
  public final void progress(int percent) {
    checkPercent(percent);
    owner().update(this, op -> op.percent = percent);
  }

  /** Appends log text; each line of it becomes one log line. */
  public final void log(String text) {
    List<String> lines = new ArrayList<>();
    for (String line : text.split("\\R", -1)) {
      lines.add(
          line.length() > MAX_LOG_LINE_CHARS ? line.substring(0, MAX_LOG_LINE_CHARS) + "…" : line);
    }
    owner()
        .update(
            this,
            op -> {
              for (String line : lines) {
                if (op.log.size() == MAX_LOG_LINES) {
                  op.log.removeFirst();
                }
                op.log.addLast(line);
                op.logCount++;
              }
            });
  }

  /** Whether cancellation was requested. */
  public final boolean cancelRequested() {
    return owner().read(this, op -> op.cancelRequested);
  }

  /**
   * A cancellation point for the work.
   *
   * @throws OpCancelledException when cancellation was requested
   */
  public final void checkCancelled() {
    if (cancelRequested()) {
      throw new OpCancelledException(
          "operation " + id + " (" + kind + " " + target + ") was cancelled");
    }
  }

  /**
   * Runs {@code hook} when cancellation is requested, on the cancelling thread and outside any
   * lock; at once if it already was. Use it to stop blocking that an interrupt does not reach, such
   * as killing a child process the work waits for. Hooks of an op that ended are dropped.
   */
  public final void onCancel(Runnable hook) {
    Objects.requireNonNull(hook, "hook");
    owner().addCancelHook(this, hook);
  }

  /** The current state of this operation. */
  public final OpSnapshot snapshot() {
    return owner().read(this, AsyncOp::snapshotLocked);
  }

  /** Caller holds the owner's lock (or the op is not shared yet). */
  final OpSnapshot snapshotLocked() {
    return new OpSnapshot(
        id,
        kind,
        target,
        state,
        stage,
        percent < 0 ? OptionalInt.empty() : OptionalInt.of(percent),
        List.copyOf(log),
        logCount,
        Optional.ofNullable(error),
        startedAt,
        Optional.ofNullable(finishedAt),
        Optional.ofNullable(result),
        cancelRequested,
        version);
  }

  private Registry<?> owner() {
    Registry<?> registry = owner;
    if (registry == null) {
      throw new IllegalStateException(
          "operation " + id + " (" + kind + " " + target + ") has not been started in a registry");
    }
    return registry;
  }

  private static void checkPercent(int percent) {
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("progress must be 0 to 100 percent, got " + percent);
    }
  }
}
