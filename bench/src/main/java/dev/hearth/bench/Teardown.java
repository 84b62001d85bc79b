package dev.hearth.bench;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What a bench's main has started, undone once, the last started first: by the main on its way out,
 * or by a JVM shutdown hook when the run is stopped first (SIGTERM; bench/run passes Ctrl-C on as
 * one). None of it ends with the JVM: a daemon, its VMs (QEMU in sessions of their own), the
 * bridge, TAPs and NAT table it leaves, a network namespace. Both ways run the same undo steps,
 * under one lock: whichever comes second waits for the first to finish and then does nothing.
 */
final class Teardown implements AutoCloseable {
  /** Starts one thing the bench must undo. */
  @FunctionalInterface
  interface Start<T> {
    T start() throws Exception;
  }

  /** Undoes what {@link Start} returned. */
  @FunctionalInterface
  interface Undo<T> {
    void undo(T started) throws Exception;
  }

  private record Step(Object started, Undo<Object> undo) {}

  private final Deque<Step> steps = new ArrayDeque<>();
  private final Thread hook = new Thread(this::closeOnStop, "bench-teardown");
  private boolean closed;

  private Teardown() {}

  /** A teardown that also runs when the JVM is asked to stop. */
  static Teardown onStop() {
    Teardown teardown = new Teardown();
    Runtime.getRuntime().addShutdownHook(teardown.hook);
    return teardown;
  }

  /**
   * Runs {@code start} and keeps {@code undo} for what it returns. Holds the lock throughout, so
   * that a stop meanwhile waits and undoes it too rather than missing it; after a stop it starts
   * nothing (e.g. BootBench's daemon for its next mode), as nothing would undo it.
   */
  synchronized <T> T start(Start<T> start, Undo<? super T> undo) throws Exception {
    if (closed) {
      throw new IllegalStateException("the bench is stopping");
    }
    T started = start.start();
    @SuppressWarnings("unchecked") // started is a T
    Undo<Object> step = (Undo<Object>) undo;
    steps.push(new Step(started, step));
    return started;
  }

  /**
   * Undoes {@code started} now, ahead of the rest (what the main ends before its end); nothing if a
   * stop has undone it already.
   */
  synchronized void undo(Object started) throws Exception {
    for (Step step : steps) {
      if (step.started() == started) {
        steps.remove(step);
        step.undo().undo(started);
        return;
      }
    }
  }

  @Override
  public synchronized void close() throws Exception {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException stopping) {
      // The JVM is stopping: the hook runs too and finds this closed.
    }
    Exception failure = null;
    while (!steps.isEmpty()) {
      Step step = steps.pop();
      try {
        step.undo().undo(step.started());
      } catch (Exception e) {
        // The other steps still run: each leaves something of its own behind.
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void closeOnStop() {
    // The main thread may print a failure of what was cut short meanwhile: this says why.
    System.err.println("bench stopped: undoing what it started");
    try {
      close();
    } catch (Exception e) {
      System.err.println("bench stopped; undoing what it started failed: " + e);
    }
    // What the main thread was still running (git, ssh, tar) would go on writing into the scratch
    // folder, which bench/run removes as soon as this JVM has ended.
    List<ProcessHandle> running = ProcessHandle.current().descendants().toList();
    running.forEach(ProcessHandle::destroy);
    for (ProcessHandle process : running) {
      try {
        process.onExit().get(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return; // the JVM ends anyway; bench/run says so if the folder cannot be removed
      } catch (ExecutionException | TimeoutException e) {
        return; // as above
      }
    }
  }
}
