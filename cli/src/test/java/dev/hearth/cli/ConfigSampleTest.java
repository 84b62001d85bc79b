package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** packaging/config.toml documents every key at its default and nothing else. */
class ConfigSampleTest {
  private static final Path SAMPLE = Path.of("..", "packaging", "config.toml");
  private static final Pattern KEY_LINE = Pattern.compile("^# ([a-z_]+) = (.*)$");

  @Test
  void sampleIsAValidConfigEqualToTheDefaults() {
    Config sample = Config.load(SAMPLE);
    for (ConfigKey key : ConfigKey.ALL) {
      assertThat(sample.get(key)).as(key.key()).isEqualTo(Config.defaults().get(key));
    }
  }

  @Test
  void everyKeyAppearsCommentedOutWithItsDefaultAndDescription() throws IOException {
    String text = Files.readString(SAMPLE);
    Map<String, String> documented = new LinkedHashMap<>();
    for (String line : text.lines().toList()) {
      Matcher m = KEY_LINE.matcher(line);
      if (m.matches()) {
        String previous = documented.put(m.group(1), m.group(2));
        assertThat(previous).as("%s listed twice", m.group(1)).isNull();
      }
    }

    Map<String, String> expected = new LinkedHashMap<>();
    for (ConfigKey key : ConfigKey.ALL) {
      expected.put(key.key(), sampleValue(key));
    }
    assertThat(documented).containsExactlyEntriesOf(expected);

    // Descriptions are wrapped over several comment lines: join them back.
    String comments = String.join(" ", text.lines().map(l -> l.replaceFirst("^# ?", "")).toList());
    for (ConfigKey key : ConfigKey.ALL) {
      assertThat(comments).as("description of %s", key.key()).contains(key.description());
    }
  }

  @Test
  void noKeyIsActive() throws IOException {
    assertThat(Files.readAllLines(SAMPLE)).allSatisfy(line -> assertThat(line).matches("(#.*)?"));
  }

  private static String sampleValue(ConfigKey key) {
    if (key.isList()) {
      // List keys default to the empty array (their default is derived from the host).
      assertThat(key.defaultValue()).as(key.key()).isEmpty();
      return "[]";
    }
    return key.isInteger() || key.isBoolean() ? key.defaultValue() : quoted(key.defaultValue());
  }

  private static String quoted(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
