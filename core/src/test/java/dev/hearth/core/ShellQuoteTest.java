package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.HostileWords;
import dev.hearth.core.testing.RequiresBinary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ShellQuoteTest {
  @TempDir Path dir;

  static String[] hostile() {
    return HostileWords.ALL.clone();
  }

  @ParameterizedTest
  @MethodSource("hostile")
  @RequiresBinary("sh")
  void aQuotedValueReachesTheShellExactly(String value) throws Exception {
    assertThat(runScript("printf '%s' " + ShellQuote.quote(value)))
        .isEqualTo(value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @RequiresBinary("sh")
  void aCommandLineRunsExactlyItsArgv() throws Exception {
    // printf repeats its format for every argument: each word comes out between < and >.
    List<String> argv = new ArrayList<>(List.of("printf", "<%s>"));
    argv.addAll(List.of(HostileWords.ALL));
    StringBuilder expected = new StringBuilder();
    for (String word : HostileWords.ALL) {
      expected.append('<').append(word).append('>');
    }

    assertThat(new String(runScript(ShellQuote.command(argv)), StandardCharsets.UTF_8))
        .isEqualTo(expected.toString());
  }

  @Test
  @RequiresBinary("sh")
  void aReadableCommandLineRunsExactlyItsArgvToo() throws Exception {
    List<String> argv = new ArrayList<>(List.of("printf", "<%s>"));
    argv.addAll(List.of(HostileWords.ALL));
    StringBuilder expected = new StringBuilder();
    for (String word : HostileWords.ALL) {
      expected.append('<').append(word).append('>');
    }

    assertThat(new String(runScript(ShellQuote.readable(argv)), StandardCharsets.UTF_8))
        .isEqualTo(expected.toString());
  }

  @Test
  void aReadableCommandLineQuotesOnlyWhatNeedsIt() {
    assertThat(ShellQuote.readable(List.of("sh", "-c", "read l; exit $l")))
        .isEqualTo("sh -c 'read l; exit $l'");
    assertThat(ShellQuote.readable(List.of("make", "-j2", "CC=gcc", "a/b.o", "", "it's")))
        .isEqualTo("make -j2 CC=gcc a/b.o '' 'it'\\''s'");
  }

  @Test
  void quotesEveryValueIncludingSafeOnes() {
    assertThat(ShellQuote.quote("abc")).isEqualTo("'abc'");
    assertThat(ShellQuote.quote("")).isEqualTo("''");
    assertThat(ShellQuote.quote("a'b")).isEqualTo("'a'\\''b'");
    assertThat(ShellQuote.command(List.of("echo", "a b"))).isEqualTo("'echo' 'a b'");
  }

  @Test
  void refusesWhatNoShellWordHolds() {
    assertThatThrownBy(() -> ShellQuote.quote("a\0b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL");
    assertThatThrownBy(() -> ShellQuote.command(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one word");
  }

  /** Runs the line as a script file (UTF-8 bytes, whatever the JVM's locale) and returns stdout. */
  private byte[] runScript(String line) throws Exception {
    Path script = dir.resolve("roundtrip.sh");
    Files.writeString(script, line + "\n", StandardCharsets.UTF_8);
    CommandResult result =
        new ProcessRunner(Posix.system(), Clock.system())
            .check(Command.of("sh", script.toString()));
    return result.stdoutBytes();
  }
}
