package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {

  @ParameterizedTest
  @CsvSource({
    "0, 0",
    "512, 512",
    "512b, 512",
    "64K, 65536",
    "64kb, 65536",
    "64KiB, 65536",
    "16M, 16777216",
    "16MiB, 16777216",
    "16 MiB, 16777216",
    "10G, 10737418240",
    "2gib, 2147483648",
    "1T, 1099511627776",
    "' 3k ', 3072",
  })
  void parsesBinaryUnitsCaseInsensitively(String text, long expected) {
    assertThat(Sizes.parse(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "K", "1.5G", "-1", "12X", "1P", "10 000", "0x10", "1234567890123456"})
  void rejectsTextThatIsNotASizeAndNamesIt(String text) {
    assertThatThrownBy(() -> Sizes.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'")
        .hasMessageContaining("not a size");
  }

  @ParameterizedTest
  @ValueSource(strings = {"999999999999999T", "8388608T"})
  void rejectsSizesThatOverflowALong(String text) {
    assertThatThrownBy(() -> Sizes.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "' is too large");
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0 B",
    "512, 512 B",
    "1023, 1023 B",
    "1024, 1 KiB",
    "1536, 1.5 KiB",
    "16777216, 16 MiB",
    "157286400, 150 MiB",
    "1048575, 1.0 MiB",
    "10737418240, 10 GiB",
    "1099511627776, 1 TiB",
    "9223372036854775807, 8 EiB",
  })
  void formatsWithBinaryUnits(long bytes, String expected) {
    assertThat(Sizes.format(bytes)).isEqualTo(expected);
  }
}
