package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemTerminalTest {
  @TempDir Path proc;
  private final List<List<String>> calls = new ArrayList<>();

  /** Answers stty -g with a saved state, fails "raw" when asked to, answers the rest with "". */
  private SystemTerminal.Stty stty(boolean rawFails) {
    return args -> {
      calls.add(args);
      if (args.equals(List.of("-g"))) {
        return "500:5:bf:8a3b:3:1c\n";
      }
      if (rawFails && args.get(0).equals("raw")) {
        throw new Terminal.TerminalException(
            "stty raw -echo failed with exit code 1: stty: bad terminal");
      }
      return "";
    };
  }

  @Test
  void onResizeRunsTheActionOnSigwinchUntilClosed() throws Exception {
    SystemTerminal terminal = new SystemTerminal(stty(false), proc);
    CountDownLatch resized = new CountDownLatch(1);

    try (Terminal.Registration registration = terminal.onResize(resized::countDown)) {
      Process kill =
          new ProcessBuilder("kill", "-WINCH", Long.toString(ProcessHandle.current().pid()))
              .start();
      assertThat(kill.waitFor(10, TimeUnit.SECONDS)).as("kill -WINCH of this JVM ends").isTrue();
      assertThat(resized.await(10, TimeUnit.SECONDS))
          .as("the resize action runs within 10 s of SIGWINCH")
          .isTrue();
    }
  }

  @Test
  void rawModeSavesTheStateAndRestoresItOnceOnClose() {
    SystemTerminal terminal = new SystemTerminal(stty(false), proc);

    Terminal.RawMode raw = terminal.enterRawMode();
    raw.close();
    raw.close();

    assertThat(calls)
        .containsExactly(List.of("-g"), List.of("raw", "-echo"), List.of("500:5:bf:8a3b:3:1c"));
  }

  @Test
  void aFailedSwitchToRawModeRestoresTheStateAndSaysWhy() {
    SystemTerminal terminal = new SystemTerminal(stty(true), proc);

    assertThatThrownBy(terminal::enterRawMode)
        .isInstanceOf(Terminal.TerminalException.class)
        .hasMessageContaining("stty raw -echo failed with exit code 1: stty: bad terminal");
    assertThat(calls).last().isEqualTo(List.of("500:5:bf:8a3b:3:1c"));
  }

  @Test
  void anUnusableSavedStateIsRefusedBeforeAnyChange() {
    SystemTerminal terminal =
        new SystemTerminal(
            args -> {
              calls.add(args);
              return "\n";
            },
            proc);

    assertThatThrownBy(terminal::enterRawMode).hasMessageContaining("no usable terminal state");
    assertThat(calls).containsExactly(List.of("-g"));
  }

  @Test
  void aDescriptorIsATerminalWhenItLinksToATerminalDevice() throws Exception {
    Files.createSymbolicLink(proc.resolve("0"), Path.of("/dev/pts/3"));
    Files.createSymbolicLink(proc.resolve("1"), Path.of("pipe:[1234]"));
    SystemTerminal terminal = new SystemTerminal(stty(false), proc);

    assertThat(terminal.stdinIsTerminal()).isTrue();
    assertThat(terminal.stdoutIsTerminal()).isFalse();
  }
}
