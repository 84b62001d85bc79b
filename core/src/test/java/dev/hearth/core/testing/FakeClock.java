package dev.hearth.core.testing;

import dev.hearth.core.Clock;
import java.time.Duration;
import java.time.Instant;

/** A {@link Clock} that moves only when told to; {@link #sleep} advances it at once. */
public final class FakeClock implements Clock {
  private Instant now;
  private long nanos;

  public FakeClock(Instant start) {
    this.now = start;
  }

  public FakeClock() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Override
  public synchronized Instant now() {
    return now;
  }

  @Override
  public synchronized long nanoTime() {
    return nanos;
  }

  @Override
  public void sleep(Duration duration) throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    advance(duration);
  }

  public synchronized void advance(Duration d) {
    now = now.plus(d);
    nanos += d.toNanos();
  }
}
