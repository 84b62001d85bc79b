package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TapPoolTest {
  @Test
  void keepsIdleTapsUpToItsCapacityInOrder() {
    TapPool pool = new TapPool(2);

    assertThat(pool.offer("htap3")).isTrue();
    assertThat(pool.offer("htap1")).isTrue();
    assertThat(pool.offer("htap7")).as("the pool is full: the caller deletes it").isFalse();
    assertThat(pool.idle()).containsExactly("htap1", "htap3");

    assertThat(pool.take()).hasValue("htap3");
    assertThat(pool.take()).hasValue("htap1");
    assertThat(pool.take()).isEmpty();
  }

  @Test
  void aTapOfferedTwiceIsKeptOnce() {
    TapPool pool = new TapPool(1);

    assertThat(pool.offer("htap0")).isTrue();
    assertThat(pool.offer("htap0")).as("already pooled: must not be deleted").isTrue();
    assertThat(pool.idle()).containsExactly("htap0");
  }

  @Test
  void aPoolOfSizeZeroKeepsNothing() {
    assertThat(new TapPool(0).offer("htap0")).isFalse();
  }
}
