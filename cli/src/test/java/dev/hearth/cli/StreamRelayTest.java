package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.daemon.RpcException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StreamRelayTest {
  private static final StreamRelay.Options PIPE = new StreamRelay.Options(true, false, false);
  private static final StreamRelay.Options SHELL = new StreamRelay.Options(true, true, true);

  @Test
  void stdinIsForwardedWithItsEndAndOutputGoesToStdoutAndStderr() {
    FakeTerminal terminal = new FakeTerminal("line one\nline two\n".getBytes());
    FakeDaemon daemon =
        new FakeDaemon()
            .onStream(
                "vm.exec",
                (params, stream) -> {
                  byte[] input = stream.awaitInputEnd();
                  stream.out(1, new String(input, StandardCharsets.UTF_8).toUpperCase());
                  stream.out(2, "done\n");
                  return FakeDaemon.json("{\"exit_code\": 0}");
                });

    JsonNode result = run(daemon, terminal, PIPE);

    assertThat(result.path("exit_code").asInt()).isZero();
    assertThat(new String(terminal.out())).isEqualTo("LINE ONE\nLINE TWO\n");
    assertThat(new String(terminal.err())).isEqualTo("done\n");
    assertThat(terminal.rawModeEntered()).isZero();
  }

  @Test
  void withoutForwardingTheInputEndsAtOnce() {
    FakeTerminal terminal = new FakeTerminal(new ByteArrayInputStream(new byte[0]), true, null);
    FakeDaemon daemon =
        new FakeDaemon()
            .onStream(
                "vm.exec",
                (params, stream) -> {
                  assertThat(stream.awaitInputEnd()).isEmpty();
                  return FakeDaemon.json("{\"exit_code\": 3}");
                });

    JsonNode result = run(daemon, terminal, new StreamRelay.Options(false, false, false));

    assertThat(result.path("exit_code").asInt()).isEqualTo(3);
  }

  @Test
  void rawModeIsRestoredAndResizesAreForwardedUntilTheEnd() throws Exception {
    PipedOutputStream typing = new PipedOutputStream();
    InputStream keyboard = new PipedInputStream(typing);
    FakeTerminal terminal = new FakeTerminal(keyboard, true, new Terminal.Size(80, 24));
    FakeDaemon daemon =
        new FakeDaemon()
            .onStream(
                "vm.shell",
                (params, stream) -> {
                  assertThat(terminal.raw()).isTrue();
                  terminal.resize(new Terminal.Size(100, 40));
                  assertThat(stream.awaitResizes(1)).containsExactly("100x40");
                  return FakeDaemon.json("{\"exit_code\": 0}");
                });

    run(daemon, terminal, SHELL);

    assertThat(terminal.rawModeEntered()).isEqualTo(1);
    assertThat(terminal.rawModeRestored()).isEqualTo(1);
    assertThat(terminal.resizeListeners()).isZero();
    typing.close();
  }

  @Test
  void rawModeIsRestoredWhenTheStreamFails() {
    FakeTerminal terminal =
        new FakeTerminal(new ByteArrayInputStream(new byte[0]), true, new Terminal.Size(80, 24));
    FakeDaemon daemon =
        new FakeDaemon()
            .onStream(
                "vm.shell",
                (params, stream) -> {
                  throw new RpcException(-32004, "precondition_failed", "demo is stopped");
                });

    assertThatThrownBy(() -> run(daemon, terminal, SHELL)).hasMessageContaining("demo is stopped");

    assertThat(terminal.rawModeRestored()).isEqualTo(1);
    assertThat(terminal.resizeListeners()).isZero();
  }

  private static JsonNode run(FakeDaemon daemon, FakeTerminal terminal, StreamRelay.Options o) {
    String method = o.raw() ? "vm.shell" : "vm.exec";
    try (DaemonConnection connection = daemon.connect(null)) {
      return StreamRelay.run(connection, method, FakeDaemon.json("{}"), terminal, o);
    }
  }
}
