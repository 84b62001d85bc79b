package dev.hearth.session;

import java.util.ArrayList;
import java.util.List;

/**
 * Fires once: a client that went away, or a stream that must stop. Actions run on the thread that
 * cancels, so they must not block for long.
 */
public final class Cancellation {
  private final List<Runnable> actions = new ArrayList<>();
  private boolean cancelled;

  /** A cancellation that never fires. */
  public static Cancellation never() {
    return new Cancellation();
  }

  /** Runs {@code action} when cancelled, or at once if already cancelled. */
  public void onCancel(Runnable action) {
    synchronized (this) {
      if (!cancelled) {
        actions.add(action);
        return;
      }
    }
    action.run();
  }

  public void cancel() {
    List<Runnable> run;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      run = List.copyOf(actions);
      actions.clear();
    }
    run.forEach(Runnable::run);
  }

  public synchronized boolean cancelled() {
    return cancelled;
  }
}
