package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HumanTest {
  private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");

  private static String ago(Duration d) {
    return Human.age(NOW.minus(d), NOW);
  }

  @Test
  void agesUseTheLargestWholeUnit() {
    assertThat(ago(Duration.ZERO)).isEqualTo("0s");
    assertThat(ago(Duration.ofSeconds(59))).isEqualTo("59s");
    assertThat(ago(Duration.ofSeconds(60))).isEqualTo("1m");
    assertThat(ago(Duration.ofMinutes(5).plusSeconds(59))).isEqualTo("5m");
    assertThat(ago(Duration.ofMinutes(59))).isEqualTo("59m");
    assertThat(ago(Duration.ofHours(2).plusMinutes(30))).isEqualTo("2h");
    assertThat(ago(Duration.ofHours(23).plusMinutes(59))).isEqualTo("23h");
    assertThat(ago(Duration.ofDays(3).plusHours(23))).isEqualTo("3d");
  }

  @Test
  void aTimestampFromTheFutureIsNoAgeRatherThanNegative() {
    assertThat(Human.age(NOW.plusSeconds(30), NOW)).isEqualTo("0s");
  }

  @Test
  void ageOfATimestampTextIsADashWhenMissingOrUnreadable() {
    assertThat(Human.age("2024-05-01T11:55:00Z", NOW)).isEqualTo("5m");
    assertThat(Human.age("2024-05-01T11:55:00.123456Z", NOW)).isEqualTo("4m");
    assertThat(Human.age("", NOW)).isEqualTo("-");
    assertThat(Human.age("yesterday", NOW)).isEqualTo("-");
  }

  @Test
  void memoryInBinaryUnits() {
    assertThat(Human.mebibytes(512)).isEqualTo("512 MiB");
    assertThat(Human.mebibytes(1024)).isEqualTo("1 GiB");
    assertThat(Human.mebibytes(1536)).isEqualTo("1.5 GiB");
    assertThat(Human.mebibytes(8192)).isEqualTo("8 GiB");
  }

  @Test
  void elapsedTimes() {
    assertThat(Human.elapsed(Duration.ofMillis(40))).isEqualTo("0.0s");
    assertThat(Human.elapsed(Duration.ofMillis(3200))).isEqualTo("3.2s");
    assertThat(Human.elapsed(Duration.ofMillis(59_900))).isEqualTo("59.9s");
    assertThat(Human.elapsed(Duration.ofSeconds(125))).isEqualTo("2m05s");
    assertThat(Human.elapsed(Duration.ofSeconds(3720))).isEqualTo("1h02m");
  }
}
