package dev.hearth.daemon;

import java.util.Deque;

/** A step that undoes part of {@link Daemon#open}, or of a daemon, at close. */
@FunctionalInterface
interface Undo {
  void run() throws Exception;

  /** Runs every step, most recent first, recording failures as suppressed by {@code failure}. */
  static void undoAll(Deque<Undo> steps, Exception failure) {
    while (!steps.isEmpty()) {
      try {
        steps.pop().run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure.addSuppressed(e);
      } catch (Exception e) {
        failure.addSuppressed(e);
      }
    }
  }
}
