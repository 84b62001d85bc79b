package dev.hearth.daemon.internal.web;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Deadlines for the web UI's threads, on one timer thread ({@code hearth-web-deadline}): a thread
 * still at its work when its deadline passes is interrupted. What it waits on then ends: a socket
 * of the JDK's server (an interruptible channel, which the interrupt closes), a guest call.
 */
final class WebDeadlines implements AutoCloseable {
  private final ScheduledThreadPoolExecutor timer =
      new ScheduledThreadPoolExecutor(
          1,
          r -> {
            Thread t = new Thread(r, "hearth-web-deadline");
            t.setDaemon(true);
            return t;
          });

  WebDeadlines() {
    // Most work ends in time and cancels its deadline: that must not stay queued until then.
    timer.setRemoveOnCancelPolicy(true);
  }

  /**
   * Interrupts the calling thread {@code time} from now, after running {@code onExpiry} (which must
   * not block), unless the returned deadline is closed first, by the same thread.
   */
  Deadline arm(Duration time, Runnable onExpiry) {
    Deadline deadline = new Deadline(Thread.currentThread(), onExpiry);
    deadline.timer = timer.schedule(deadline::expire, time.toNanos(), TimeUnit.NANOSECONDS);
    return deadline;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  /** One thread's deadline; closing it disarms it. */
  static final class Deadline implements AutoCloseable {
    private final Thread thread;
    private final Runnable onExpiry;
    private ScheduledFuture<?> timer;
    private boolean closed;
    private boolean expired;

    private Deadline(Thread thread, Runnable onExpiry) {
      this.thread = thread;
      this.onExpiry = onExpiry;
    }

    private synchronized void expire() {
      if (!closed) {
        expired = true;
        onExpiry.run();
        thread.interrupt();
      }
    }

    /** Whether it passed before it was closed. */
    synchronized boolean expired() {
      return expired;
    }

    @Override
    public synchronized void close() {
      timer.cancel(false);
      closed = true;
      if (expired) {
        // This deadline's own interrupt, which the work may not have met (or met and kept): the
        // thread goes on without it. An interrupt to stop the pool is sent again by the pool.
        Thread.interrupted();
      }
    }
  }
}
