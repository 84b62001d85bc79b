package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "a",
        "0",
        "web",
        "web-1",
        "9lives",
        "a--b",
        "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefgh"
      })
  void acceptsValidNames(String name) {
    assertThat(Names.requireValid("VM", name)).isEqualTo(name);
    assertThat(Names.isValid(name)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"Web", "WEB", "-web", "web_1", "web.1", "web 1", "wéb", "a/b", "..", " web"})
  void rejectsInvalidNamesNamingTheValueAndTheRule(String name) {
    assertThat(Names.isValid(name)).isFalse();
    assertThatThrownBy(() -> Names.requireValid("image", name))
        .isInstanceOf(InvalidNameException.class)
        .hasMessageContaining("invalid image name '" + name + "'")
        .hasMessageContaining("lower-case letters, digits and '-'");
  }

  @Test
  void rejectsSixtyFourCharacters() {
    String name = "a".repeat(64);
    assertThat(Names.isValid(name)).isFalse();
    assertThatThrownBy(() -> Names.requireValid("VM", name))
        .isInstanceOf(InvalidNameException.class)
        .hasMessageContaining(name)
        .hasMessageContaining("1 to 63");
  }

  @Test
  void rejectsEmptyAndNullNames() {
    assertThat(Names.isValid("")).isFalse();
    assertThat(Names.isValid(null)).isFalse();
    assertThatThrownBy(() -> Names.requireValid("VM", ""))
        .isInstanceOf(InvalidNameException.class)
        .hasMessage("VM name is empty");
    assertThatThrownBy(() -> Names.requireValid("VM", null))
        .isInstanceOf(InvalidNameException.class)
        .hasMessage("VM name is empty");
  }

  @Test
  void escapesControlCharactersInTheMessage() {
    assertThatThrownBy(() -> Names.requireValid("VM", "evil\n\u001b[31mred\u0000\u007f\u009b"))
        .isInstanceOf(InvalidNameException.class)
        .hasMessageContaining("'evil\\x0a\\x1b[31mred\\x00\\x7f\\x9b'")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n", "\u001b", "\u0000"));
  }

  @Test
  void shortensVeryLongNamesInTheMessage() {
    String name = "X".repeat(500);
    assertThatThrownBy(() -> Names.requireValid("VM", name))
        .isInstanceOf(InvalidNameException.class)
        .hasMessageContaining("'" + "X".repeat(80) + "…'")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("X".repeat(81)));
  }

  @Test
  void newIdIsSixteenLowerCaseHexDigits() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String id = Names.newId();
      assertThat(id).matches("[0-9a-f]{16}");
      ids.add(id);
    }
    assertThat(ids).hasSize(1000);
  }
}
