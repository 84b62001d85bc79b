package dev.hearth.cli;

import java.util.ArrayList;
import java.util.List;

/** Ctrl-C on demand: {@link #interrupt()} runs the actions registered and not yet closed. */
final class FakeInterrupts implements Interrupts {
  private final List<Runnable> active = new ArrayList<>();

  @Override
  public synchronized Registration onInterrupt(Runnable action) {
    active.add(action);
    return () -> {
      synchronized (this) {
        active.remove(action);
      }
    };
  }

  void interrupt() {
    List<Runnable> actions;
    synchronized (this) {
      actions = List.copyOf(active);
    }
    actions.forEach(Runnable::run);
  }

  synchronized boolean anyRegistered() {
    return !active.isEmpty();
  }
}
