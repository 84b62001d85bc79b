package dev.hearth.daemon;

import java.util.List;
import java.util.function.Consumer;

/**
 * The long operations of one hearth, of every kind. {@code op} arguments are an id or a unique
 * prefix of one.
 */
public interface Ops {
  /** Running ones oldest first, then ended ones most recent first. */
  List<Op> list();

  Op show(String op);

  /**
   * Asks it to stop at its next stage boundary.
   *
   * @throws HearthException {@code precondition_failed} when it has already ended
   */
  Op cancel(String op);

  /**
   * Blocks until it ends, handing each change to {@code progress} on the calling thread; returns
   * the final snapshot.
   */
  Op watch(String op, Consumer<Op> progress) throws InterruptedException;
}
