package dev.hearth.core;

import java.time.Duration;
import java.time.Instant;

/** Wall time, monotonic time and sleeping, injectable so that tests control time. */
public interface Clock {

  /** Wall-clock time, for timestamps that people read and that are stored. */
  Instant now();

  /** Monotonic nanoseconds, for measuring durations and deadlines. */
  long nanoTime();

  /** Sleeps; a fake clock advances instead. */
  void sleep(Duration duration) throws InterruptedException;

  static Clock system() {
    return SystemClock.INSTANCE;
  }
}
