package dev.hearth.fcproc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RequestRecordsTest {

  @Test
  void pathIdsFollowFirecrackersRule() {
    assertThatThrownBy(() -> new Drive("root-fs", Path.of("/x"), true, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("root-fs");
    assertThatThrownBy(() -> new Drive("../etc", Path.of("/x"), true, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new NetworkInterface("eth 0", "tap0", "06:00:0a:00:00:02"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void valuesFirecrackerWouldRefuseAreRefusedHere() {
    assertThatThrownBy(() -> new MachineConfig(0, 128)).hasMessageContaining("vcpu_count");
    assertThatThrownBy(() -> new MachineConfig(33, 128)).hasMessageContaining("vcpu_count");
    assertThatThrownBy(() -> new NetworkInterface("eth0", "tap0", "06:00:0a"))
        .hasMessageContaining("06:00:0a");
    assertThatThrownBy(() -> new TokenBucket(0, 1000, OptionalLong.empty()))
        .hasMessageContaining("size");
    assertThatThrownBy(() -> new TokenBucket(10, 0, OptionalLong.empty()))
        .hasMessageContaining("refill_time");
    assertThatThrownBy(() -> new TokenBucket(10, 1000, OptionalLong.of(-1)))
        .hasMessageContaining("one_time_burst");
    assertThatThrownBy(() -> new RateLimiter(Optional.empty(), Optional.empty()))
        .hasMessageContaining("bandwidth or an ops bucket");
    assertThatThrownBy(() -> RateLimiter.perSecond(-1, 0)).hasMessageContaining("-1 B/s");
  }

  @Test
  void ratesPerSecondBecomeOneSecondBucketsAndZeroIsNoLimit() {
    assertThat(RateLimiter.perSecond(0, 0)).isEmpty();
    RateLimiter both = RateLimiter.perSecond(1 << 20, 250).orElseThrow();
    assertThat(both.bandwidth()).hasValue(new TokenBucket(1 << 20, 1000, OptionalLong.empty()));
    assertThat(both.ops()).hasValue(new TokenBucket(250, 1000, OptionalLong.empty()));
    assertThat(RateLimiter.perSecond(0, 5).orElseThrow().bandwidth()).isEmpty();
    assertThat(new TokenBucket(100, 250, OptionalLong.empty()).ratePerSecond()).isEqualTo(400);
    assertThat(new TokenBucket(1, 5000, OptionalLong.empty()).ratePerSecond()).isEqualTo(1);
    assertThat(new TokenBucket(Long.MAX_VALUE, 1000, OptionalLong.empty()).ratePerSecond())
        .isPositive();
  }
}
