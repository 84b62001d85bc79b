package dev.hearth.opstate;

/**
 * The work of an operation, run by {@link Registry#start} or {@link Registry#run}.
 *
 * <p>It reports through the op ({@link AsyncOp#stage}, {@link AsyncOp#progress}, {@link
 * AsyncOp#log}). Returning ends the op as succeeded with the returned result (may be null);
 * throwing ends it as failed at its current stage with the exception's message as the reason, or as
 * cancelled when cancellation was requested.
 */
@FunctionalInterface
public interface OpWork<T extends AsyncOp> {
  String run(T op) throws Exception;
}
