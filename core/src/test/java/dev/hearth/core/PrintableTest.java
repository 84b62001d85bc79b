package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrintableTest {
  @Test
  void controlCharactersAreEscapedAndOtherTextKept() {
    assertThat(Printable.of("a\nb\u001b[31m\u007f é 漢 🙂"))
        .isEqualTo("a\\x0ab\\x1b[31m\\x7f é 漢 🙂");
  }

  @Test
  void longTextIsCutAfterEightyCodePoints() {
    assertThat(Printable.of("🙂".repeat(81))).isEqualTo("🙂".repeat(80) + "…");
    assertThat(Printable.of("x".repeat(80))).isEqualTo("x".repeat(80));
    assertThat(Printable.escape("x".repeat(200))).hasSize(200);
  }
}
