package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.testing.RequiresBinary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShellQuoteTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "plain",
        "with spaces  and\ttabs",
        "it's",
        "'",
        "''''",
        "\"double\" quotes",
        "$HOME ${PATH} $(id) $((1+1))",
        "`id`",
        "back\\slash\\n",
        "new\nline\n",
        "\n",
        "glob * ? [a-z]",
        "; rm -rf / #",
        "non-ASCII: é ü 漢字 🙂",
        "-n",
        "'; echo pwned; '"
      })
  @RequiresBinary("sh")
  void aQuotedValueReachesTheShellExactly(String value) throws Exception {
    // The script file is UTF-8 bytes, so non-ASCII survives whatever the JVM's locale is.
    Path script = dir.resolve("roundtrip.sh");
    Files.writeString(
        script, "printf '%s' " + ShellQuote.quote(value) + "\n", StandardCharsets.UTF_8);

    CommandResult result =
        TestFiles.realRunner().check(Command.of("sh", script.toString()));

    assertThat(result.stdoutBytes()).isEqualTo(value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void quotesEveryValueIncludingSafeOnes() {
    assertThat(ShellQuote.quote("abc")).isEqualTo("'abc'");
    assertThat(ShellQuote.quote("")).isEqualTo("''");
    assertThat(ShellQuote.quote("a'b")).isEqualTo("'a'\\''b'");
  }

  @Test
  void refusesNul() {
    assertThatThrownBy(() -> ShellQuote.quote("a\0b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL");
  }
}
