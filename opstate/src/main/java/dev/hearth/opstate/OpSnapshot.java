package dev.hearth.opstate;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An immutable copy of an operation's state at one moment; the only form in which operations leave
 * a {@link Registry}.
 *
 * @param log the most recent log lines, oldest first, at most {@link AsyncOp#MAX_LOG_LINES}
 * @param logCount how many lines were logged in total; the lines in {@code log} are numbered {@code
 *     logCount - log.size()} to {@code logCount - 1}, so a watcher can tell which are new
 * @param error present when the state is {@link OpState#FAILED}
 * @param cancelRequested whether someone asked to cancel it (it may still be running)
 * @param version counts the changes of this operation; a watcher that sees a gap knows that it
 *     missed intermediate snapshots. Operations read back from the store have version 0.
 */
public record OpSnapshot(
    String id,
    String kind,
    String target,
    OpState state,
    String stage,
    OptionalInt percent,
    List<String> log,
    long logCount,
    Optional<OpError> error,
    Instant startedAt,
    Optional<Instant> finishedAt,
    Optional<String> result,
    boolean cancelRequested,
    long version) {

  public OpSnapshot {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(stage, "stage");
    Objects.requireNonNull(percent, "percent");
    log = List.copyOf(log);
    Objects.requireNonNull(error, "error");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(finishedAt, "finishedAt");
    Objects.requireNonNull(result, "result");
  }

  public boolean finished() {
    return state.finished();
  }

  /** {@code <id> (<kind> <target>, <state>)}, for messages. */
  public String describe() {
    return id + " (" + kind + " " + target + ", " + state.wireName() + ")";
  }
}
