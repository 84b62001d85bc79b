package dev.hearth.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Command;
import dev.hearth.core.CommandException;
import dev.hearth.core.CommandTimeoutException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FakeRunnerTest {
  private final FakeRunner runner = new FakeRunner();

  @Test
  void unmatchedCommandsSucceedSilentlyAndAreRecorded() {
    Command a = Command.of("ip", "link", "show");
    Command b = Command.of("true");
    assertThat(runner.run(a).exitCode()).isZero();
    assertThat(runner.run(b).stdout()).isEmpty();
    assertThat(runner.commands()).containsExactly(a, b);
    assertThat(runner.argvs()).containsExactly(List.of("ip", "link", "show"), List.of("true"));
  }

  @Test
  void answersByArgvPrefixWithTheNewestRuleFirst() {
    runner
        .on(List.of("ip"), 0, "any ip\n", "")
        .on(List.of("ip", "link", "add"), 2, "", "RTNETLINK answers: File exists\n");
    assertThat(runner.run(Command.of("ip", "addr")).stdout()).isEqualTo("any ip\n");
    var failed = runner.run(Command.of("ip", "link", "add", "tap0"));
    assertThat(failed.exitCode()).isEqualTo(2);
    assertThat(failed.stderr()).isEqualTo("RTNETLINK answers: File exists\n");
    assertThat(failed.argv()).containsExactly("ip", "link", "add", "tap0");
    // A prefix matches whole words only.
    assertThat(runner.run(Command.of("ipx")).stdout()).isEmpty();
  }

  @Test
  void checkThrowsForScriptedFailures() {
    runner.on(List.of("mkfs.ext4"), 1, "", "bad size\n");
    assertThatThrownBy(() -> runner.check(Command.of("mkfs.ext4", "/dev/x")))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("mkfs.ext4 /dev/x")
        .hasMessageContaining("exit code 1")
        .hasMessageContaining("bad size");
  }

  @Test
  void answersCanDependOnTheCommand() {
    runner.on(List.of("echo"), c -> FakeRunner.result(c, 0, String.join(" ", c.argv()), ""));
    assertThat(runner.run(Command.of("echo", "a", "b")).stdout()).isEqualTo("echo a b");
  }

  @Test
  void timeoutOnThrowsATimeoutWithTheCommandsTimeout() {
    runner.timeoutOn(List.of("sleep"));
    Command sleep = Command.builder("sleep").args("9").timeout(Duration.ofSeconds(3)).build();
    assertThatThrownBy(() -> runner.run(sleep))
        .isInstanceOfSatisfying(
            CommandTimeoutException.class,
            e -> assertThat(e.timeout()).isEqualTo(Duration.ofSeconds(3)));
    assertThat(runner.commands()).containsExactly(sleep);
  }
}
