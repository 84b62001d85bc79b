package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest
  @CsvSource({
    "500ms, PT0.5S",
    "30s, PT30S",
    "5m, PT5M",
    "2h, PT2H",
    "3d, PT72H",
    "0s, PT0S",
    "' 90s ', PT1M30S",
  })
  void parsesEveryUnit(String text, String expected) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.parse(expected));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "30", "s", "1.5s", "-5s", "5 s", "5S", "5min", "1w", "1234567890s"})
  void rejectsTextThatIsNotADurationAndNamesIt(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'")
        .hasMessageContaining("not a duration");
  }

  @ParameterizedTest
  @CsvSource({
    "PT0.0015S, 1ms",
    "PT1.5S, 1500ms",
    "PT0S, 0s",
    "PT30S, 30s",
    "PT90S, 90s",
    "PT2M, 2m",
    "PT90M, 90m",
    "PT24H, 1d",
    "PT25H, 25h",
    "PT48H, 2d",
  })
  void formatsInTheShortestExactForm(String duration, String expected) {
    assertThat(Durations.format(Duration.parse(duration))).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1ms", "1500ms", "45s", "10m", "5h", "7d"})
  void formatReadsBackAsTheSameDuration(String text) {
    Duration d = Durations.parse(text);
    assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
    assertThat(Durations.format(d)).isEqualTo(text);
  }

  @Test
  void sixtySecondsAreFormattedAsAMinute() {
    assertThat(Durations.format(Durations.parse("60s"))).isEqualTo("1m");
    assertThat(Durations.format(Durations.parse("120s"))).isEqualTo("2m");
  }
}
