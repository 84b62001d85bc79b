package dev.hearth.fcproc.client;

import static java.util.Objects.requireNonNull;

import java.util.OptionalLong;

/**
 * Firecracker's {@code TokenBucket}: {@code size} tokens (bytes or operations) refilled over {@code
 * refillTimeMs}, so the steady rate is {@code size / refillTimeMs}; an optional {@code
 * oneTimeBurst} is spent first.
 */
public record TokenBucket(long size, long refillTimeMs, OptionalLong oneTimeBurst) {

  public TokenBucket {
    requireNonNull(oneTimeBurst, "oneTimeBurst");
    if (size <= 0) {
      throw new IllegalArgumentException("token bucket size must be positive: " + size);
    }
    if (refillTimeMs <= 0) {
      throw new IllegalArgumentException(
          "token bucket refill_time must be positive: " + refillTimeMs);
    }
    if (oneTimeBurst.isPresent() && oneTimeBurst.getAsLong() < 0) {
      throw new IllegalArgumentException(
          "token bucket one_time_burst must not be negative: " + oneTimeBurst.getAsLong());
    }
  }

  /** {@code perSecond} tokens refilled every second, with no extra first burst. */
  public static TokenBucket perSecond(long perSecond) {
    return new TokenBucket(perSecond, 1000, OptionalLong.empty());
  }

  /** The steady rate in tokens per second, at least 1. */
  public long ratePerSecond() {
    long rate =
        size > Long.MAX_VALUE / 1000 ? size / refillTimeMs * 1000 : size * 1000 / refillTimeMs;
    return Math.max(1, rate);
  }
}
