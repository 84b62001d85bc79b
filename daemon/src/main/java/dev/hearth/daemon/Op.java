package dev.hearth.daemon;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A snapshot of a long operation ({@code vm.create}, {@code image.build}).
 *
 * @param kind the method that started it, e.g. {@code vm.create}
 * @param target what it works on, e.g. the VM's name
 * @param log the last lines of its log
 * @param result the id of what it made, once it succeeded
 */
public record Op(
    String id,
    String kind,
    String target,
    OpState state,
    String stage,
    OptionalInt percent,
    List<String> log,
    Optional<OpError> error,
    Instant startedAt,
    Optional<Instant> finishedAt,
    Optional<String> result) {

  public Op {
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

  /**
   * The failure of a finished operation that did not succeed: {@code cancelled} for a cancelled
   * one, else {@code host_error}, naming the operation, its stage and the reason.
   */
  public Optional<HearthException> failure() {
    return switch (state) {
      case RUNNING, SUCCEEDED -> Optional.empty();
      case CANCELLED ->
          Optional.of(
              new HearthException(
                  HearthException.Kind.CANCELLED,
                  kind + " " + target + " (" + id + ") was cancelled in stage " + stage));
      case FAILED -> {
        OpError e = error.orElse(new OpError(stage, "no reason recorded"));
        yield Optional.of(
            HearthException.hostError(
                kind
                    + " "
                    + target
                    + " ("
                    + id
                    + ") failed in stage "
                    + e.stage()
                    + ": "
                    + e.message()));
      }
    };
  }
}
