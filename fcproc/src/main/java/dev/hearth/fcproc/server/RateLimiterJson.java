package dev.hearth.fcproc.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.fcproc.client.RateLimiter;
import dev.hearth.fcproc.client.TokenBucket;
import java.util.Optional;
import java.util.OptionalLong;

/** A {@code RateLimiter} of a drive or network interface request, read into the client's record. */
final class RateLimiterJson {
  private RateLimiterJson() {}

  /**
   * A rate limiter the spec validator has let through; a bucket of size or refill_time 0 limits
   * nothing in Firecracker, and so is left out here too.
   */
  static Optional<RateLimiter> read(JsonNode json) {
    Optional<TokenBucket> bandwidth = tokenBucket(json.path("bandwidth"));
    Optional<TokenBucket> ops = tokenBucket(json.path("ops"));
    return bandwidth.isEmpty() && ops.isEmpty()
        ? Optional.empty()
        : Optional.of(new RateLimiter(bandwidth, ops));
  }

  private static Optional<TokenBucket> tokenBucket(JsonNode json) {
    long size = json.path("size").asLong(0);
    long refill = json.path("refill_time").asLong(0);
    if (size <= 0 || refill <= 0) {
      return Optional.empty();
    }
    JsonNode burst = json.path("one_time_burst");
    return Optional.of(
        new TokenBucket(
            size,
            refill,
            burst.canConvertToLong() && burst.asLong() > 0
                ? OptionalLong.of(burst.asLong())
                : OptionalLong.empty()));
  }
}
