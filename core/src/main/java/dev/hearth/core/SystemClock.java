package dev.hearth.core;

import java.time.Duration;
import java.time.Instant;

/** The real {@link Clock}; stateless, so one instance is enough. */
enum SystemClock implements Clock {
  INSTANCE;

  @Override
  public Instant now() {
    return Instant.now();
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public void sleep(Duration duration) throws InterruptedException {
    Thread.sleep(duration.toMillis());
  }
}
