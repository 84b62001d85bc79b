package dev.hearth.daemon;

import java.util.function.Consumer;

/**
 * A handle on a long operation that produces a {@code T} (a {@link Vm} for a create). In-process
 * and remote handles behave alike; a remote one opens a connection of its own to watch.
 */
public interface Operation<T> {
  String id();

  /** The operation as it is now. */
  Op snapshot();

  /**
   * Blocks until the operation ends, handing each change to {@code progress} on the calling thread
   * (not the final snapshot, which it returns).
   */
  Op watch(Consumer<Op> progress) throws InterruptedException;

  /**
   * Waits for the end and returns the result.
   *
   * @throws HearthException the operation's {@link Op#failure()}: {@code host_error} naming the
   *     stage and the reason, or {@code cancelled}
   */
  T await() throws InterruptedException;

  /**
   * Asks the operation to stop at its next stage boundary; returns the snapshot after the request.
   *
   * @throws HearthException {@code precondition_failed} when it has already ended
   */
  Op cancel();
}
