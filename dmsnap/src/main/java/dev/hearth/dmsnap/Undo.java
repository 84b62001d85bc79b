package dev.hearth.dmsnap;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The undo actions of the steps a create has done so far, run newest first when a later one fails.
 */
final class Undo {
  private static final Logger log = LoggerFactory.getLogger(Undo.class);

  /** One undo action. */
  @FunctionalInterface
  interface Action {
    void run() throws Exception;
  }

  private record Entry(String what, Action action) {}

  private final Deque<Entry> entries = new ArrayDeque<>();

  void push(String what, Action action) {
    entries.push(new Entry(what, action));
  }

  /**
   * Runs every action, newest first, and adds each failure to {@code failure} as suppressed, so the
   * error that is thrown also says what could not be undone. The interrupt flag is cleared while
   * undoing (a command would refuse to start) and set again afterwards, unless {@code failure} is
   * the InterruptedException the caller rethrows.
   */
  void runAll(Throwable failure) {
    boolean interrupted = Thread.interrupted();
    try {
      while (!entries.isEmpty()) {
        Entry e = entries.pop();
        try {
          e.action().run();
        } catch (InterruptedException ie) {
          interrupted = true;
          failure.addSuppressed(ie);
          log.warn(
              "interrupted while undoing '{}'; {} more undo steps skipped",
              e.what(),
              entries.size());
          entries.clear();
        } catch (Exception ex) {
          failure.addSuppressed(ex);
          log.warn("could not undo '{}': {}", e.what(), ex.getMessage());
        }
      }
    } finally {
      if (interrupted && !(failure instanceof InterruptedException)) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
