package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.daemon.HearthException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

class StreamRelayTest {
  private static final StreamRelay.Options PIPE = new StreamRelay.Options(true, false, false);
  private static final StreamRelay.Options SHELL = new StreamRelay.Options(true, true, true);

  @Test
  void stdinIsForwardedWithItsEndAndOutputGoesToStdoutAndStderr() throws Exception {
    FakeTerminal terminal = new FakeTerminal("line one\nline two\n".getBytes());

    int code =
        run(
            stream -> {
              byte[] input = stream.awaitInputEnd();
              stream.out(1, new String(input, StandardCharsets.UTF_8).toUpperCase());
              stream.out(2, "done\n");
              return 0;
            },
            terminal,
            PIPE);

    assertThat(code).isZero();
    assertThat(new String(terminal.out())).isEqualTo("LINE ONE\nLINE TWO\n");
    assertThat(new String(terminal.err())).isEqualTo("done\n");
    assertThat(terminal.rawModeEntered()).isZero();
  }

  @Test
  void withoutForwardingTheInputEndsAtOnce() throws Exception {
    FakeTerminal terminal = new FakeTerminal(new ByteArrayInputStream(new byte[0]), true, null);

    int code =
        run(
            stream -> {
              assertThat(stream.awaitInputEnd()).isEmpty();
              return 3;
            },
            terminal,
            new StreamRelay.Options(false, false, false));

    assertThat(code).isEqualTo(3);
  }

  @Test
  void rawModeIsRestoredAndResizesAreForwardedUntilTheEnd() throws Exception {
    PipedOutputStream typing = new PipedOutputStream();
    InputStream keyboard = new PipedInputStream(typing);
    FakeTerminal terminal = new FakeTerminal(keyboard, true, new Terminal.Size(80, 24));

    run(
        stream -> {
          assertThat(terminal.raw()).isTrue();
          terminal.resize(new Terminal.Size(100, 40));
          assertThat(stream.awaitResizes(1)).containsExactly("100x40");
          return 0;
        },
        terminal,
        SHELL);

    assertThat(terminal.rawModeEntered()).isEqualTo(1);
    assertThat(terminal.rawModeRestored()).isEqualTo(1);
    assertThat(terminal.resizeListeners()).isZero();
    typing.close();
  }

  @Test
  void rawModeIsRestoredWhenTheStreamFails() {
    FakeTerminal terminal =
        new FakeTerminal(new ByteArrayInputStream(new byte[0]), true, new Terminal.Size(80, 24));

    assertThatThrownBy(
            () ->
                run(
                    stream -> {
                      throw HearthException.preconditionFailed("demo is stopped");
                    },
                    terminal,
                    SHELL))
        .hasMessageContaining("demo is stopped");

    assertThat(terminal.rawModeRestored()).isEqualTo(1);
    assertThat(terminal.resizeListeners()).isZero();
  }

  @Test
  void theCommandIsClosedAtTheEnd() throws Exception {
    FakeProcess[] started = new FakeProcess[1];
    StreamRelay.run(
        out -> started[0] = new FakeProcess(out, stream -> 0), new FakeTerminal(new byte[0]), PIPE);
    assertThat(started[0].closed()).isTrue();
  }

  private static int run(
      ToIntFunction<FakeProcess> guest, FakeTerminal terminal, StreamRelay.Options o)
      throws InterruptedException {
    return StreamRelay.run(out -> new FakeProcess(out, guest), terminal, o);
  }
}
