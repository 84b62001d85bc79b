package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommandTest {

  @Test
  void ofUsesTheDefaults() {
    Command c = Command.of("ip", "link", "show");
    assertThat(c.argv()).containsExactly("ip", "link", "show");
    assertThat(c.env()).isEmpty();
    assertThat(c.stdin()).isEmpty();
    assertThat(c.cwd()).isEmpty();
    assertThat(c.timeout()).isEqualTo(Command.DEFAULT_TIMEOUT);
    assertThat(c.outputCap()).isEqualTo(Command.DEFAULT_OUTPUT_CAP);
  }

  @Test
  void ofListSplitsProgramAndArguments() {
    assertThat(Command.of(List.of("a", "b")).argv()).containsExactly("a", "b");
    assertThatThrownBy(() -> Command.of(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("program name");
  }

  @Test
  void builderSetsEverything() {
    Command c =
        Command.builder("sh")
            .args("-c", "cat")
            .args(List.of("x"))
            .env("A", "1")
            .env("B", "")
            .stdin("héllo")
            .cwd(Path.of("/tmp"))
            .timeout(Duration.ofSeconds(3))
            .outputCap(10)
            .build();
    assertThat(c.argv()).containsExactly("sh", "-c", "cat", "x");
    assertThat(c.env()).isEqualTo(Map.of("A", "1", "B", ""));
    assertThat(c.stdin())
        .hasValueSatisfying(
            b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("héllo"));
    assertThat(c.cwd()).contains(Path.of("/tmp"));
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(c.outputCap()).isEqualTo(10);
    assertThat(c.toBuilder().build()).usingRecursiveComparison().isEqualTo(c);
  }

  @Test
  void stdinIsCopiedInAndOut() {
    byte[] bytes = {1, 2, 3};
    Command c = Command.builder("cat").stdin(bytes).build();
    bytes[0] = 9;
    c.stdin().get()[1] = 9;
    assertThat(c.stdin()).hasValueSatisfying(b -> assertThat(b).containsExactly(1, 2, 3));
  }

  @Test
  void toBuilderMakesAnIndependentCopy() {
    Command original = Command.builder("echo").args("a").env("K", "v").build();
    Command changed = original.toBuilder().args("b").env("K2", "w").outputCap(0).build();
    assertThat(original.argv()).containsExactly("echo", "a");
    assertThat(original.env()).containsOnlyKeys("K");
    assertThat(changed.argv()).containsExactly("echo", "a", "b");
    assertThat(changed.env()).containsOnlyKeys("K", "K2");
    assertThat(changed.outputCap()).isZero();
  }

  @Test
  void rejectsBadBuilderInput() {
    assertThatThrownBy(() -> Command.builder("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Command.builder(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> Command.builder("x").args("a", null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> Command.builder("x").timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout must be positive");
    assertThatThrownBy(() -> Command.builder("x").timeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Command.builder("x").outputCap(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> Command.builder("x").env("", "v"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Command.builder("x").env("A=B", "v"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'A=B'");
    assertThatThrownBy(() -> Command.builder("x").env("A", null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void rejectsNulCharactersThatExecWouldCutOff() {
    assertThatThrownBy(() -> Command.of("rm", "-rf", "/tmp/x\0/y"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'/tmp/x\\x00/y'")
        .hasMessageContaining("NUL");
    assertThatThrownBy(() -> Command.builder("a\0b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Command.builder("x").env("K", "v\0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("value of K");
  }

  @Test
  void argvAndEnvAreImmutable() {
    Command c = Command.builder("x").env("A", "1").build();
    assertThatThrownBy(() -> c.argv().add("y")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> c.env().put("B", "2"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void displayQuotesOnlyWordsThatNeedIt() {
    assertThat(Command.display(List.of("ip", "addr", "add", "10.77.0.1/24", "dev", "hearth0")))
        .isEqualTo("ip addr add 10.77.0.1/24 dev hearth0");
    assertThat(Command.display(List.of("a=b", "x:y,z+w@v%", "-_./")))
        .isEqualTo("a=b x:y,z+w@v% -_./");
    assertThat(Command.display(List.of("sh", "-c", "echo hi; exit 3")))
        .isEqualTo("sh -c 'echo hi; exit 3'");
    assertThat(Command.display(List.of("echo", ""))).isEqualTo("echo ''");
    assertThat(Command.display(List.of("echo", "it's"))).isEqualTo("echo 'it'\\''s'");
    assertThat(Command.display(List.of("echo", "$HOME", "*", "a\"b")))
        .isEqualTo("echo '$HOME' '*' 'a\"b'");
    assertThat(Command.of("echo", "a b").toString()).isEqualTo("echo 'a b'");
  }
}
