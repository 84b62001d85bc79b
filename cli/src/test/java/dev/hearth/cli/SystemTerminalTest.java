package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.FakeRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemTerminalTest {
  @TempDir Path proc;

  @Test
  void rawModeSavesTheStateAndRestoresItOnceOnClose() {
    FakeRunner runner =
        new FakeRunner()
            .on(List.of("stty", "-F", "/dev/tty"), 0, "", "")
            .on(List.of("stty", "-F", "/dev/tty", "-g"), 0, "500:5:bf:8a3b:3:1c\n", "");
    SystemTerminal terminal = new SystemTerminal(() -> runner, proc);

    Terminal.RawMode raw = terminal.enterRawMode();
    raw.close();
    raw.close();

    assertThat(runner.argvs())
        .containsExactly(
            List.of("stty", "-F", "/dev/tty", "-g"),
            List.of("stty", "-F", "/dev/tty", "raw", "-echo"),
            List.of("stty", "-F", "/dev/tty", "500:5:bf:8a3b:3:1c"));
  }

  @Test
  void aFailedSwitchToRawModeRestoresTheStateAndSaysWhy() {
    FakeRunner runner =
        new FakeRunner()
            .on(List.of("stty", "-F", "/dev/tty", "-g"), 0, "saved\n", "")
            .on(List.of("stty", "-F", "/dev/tty", "raw"), 1, "", "stty: bad terminal")
            .on(List.of("stty", "-F", "/dev/tty", "saved"), 0, "", "");
    SystemTerminal terminal = new SystemTerminal(() -> runner, proc);

    assertThatThrownBy(terminal::enterRawMode)
        .isInstanceOf(Terminal.TerminalException.class)
        .hasMessageContaining("stty -F /dev/tty raw -echo")
        .hasMessageContaining("exit code 1")
        .hasMessageContaining("stty: bad terminal");
    assertThat(runner.argvs()).last().isEqualTo(List.of("stty", "-F", "/dev/tty", "saved"));
  }

  @Test
  void aDescriptorIsATerminalWhenItLinksToATerminalDevice() throws Exception {
    Files.createSymbolicLink(proc.resolve("0"), Path.of("/dev/pts/3"));
    Files.createSymbolicLink(proc.resolve("1"), Path.of("pipe:[1234]"));
    SystemTerminal terminal = new SystemTerminal(FakeRunner::new, proc);

    assertThat(terminal.stdinIsTerminal()).isTrue();
    assertThat(terminal.stdoutIsTerminal()).isFalse();
  }
}
