package dev.hearth.fcproc.client;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * Firecracker's {@code RateLimiter} of a drive or of one direction of a network interface: a bucket
 * of bytes and a bucket of operations, each optional and independent.
 */
public record RateLimiter(Optional<TokenBucket> bandwidth, Optional<TokenBucket> ops) {

  public RateLimiter {
    requireNonNull(bandwidth, "bandwidth");
    requireNonNull(ops, "ops");
    if (bandwidth.isEmpty() && ops.isEmpty()) {
      throw new IllegalArgumentException("a rate limiter needs a bandwidth or an ops bucket");
    }
  }

  /**
   * A limiter of {@code bytesPerSecond} and {@code opsPerSecond}, each 0 for none; empty when both
   * are 0.
   */
  public static Optional<RateLimiter> perSecond(long bytesPerSecond, long opsPerSecond) {
    if (bytesPerSecond < 0 || opsPerSecond < 0) {
      throw new IllegalArgumentException(
          "rates must not be negative: " + bytesPerSecond + " B/s, " + opsPerSecond + " ops/s");
    }
    if (bytesPerSecond == 0 && opsPerSecond == 0) {
      return Optional.empty();
    }
    return Optional.of(
        new RateLimiter(
            bytesPerSecond == 0
                ? Optional.empty()
                : Optional.of(TokenBucket.perSecond(bytesPerSecond)),
            opsPerSecond == 0
                ? Optional.empty()
                : Optional.of(TokenBucket.perSecond(opsPerSecond))));
  }
}
