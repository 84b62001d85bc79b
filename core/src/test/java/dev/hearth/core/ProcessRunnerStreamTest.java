package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.core.testing.RequiresBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresBinary({"sh", "sleep"})
class ProcessRunnerStreamTest {
  /** As in ProcessRunnerTest: the command's output and pid file must come before it. */
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final ProcessRunner runner = new ProcessRunner(Posix.system(), Clock.system());
  private final List<Long> spawnedPids = new ArrayList<>();
  private final List<String> seen = Collections.synchronizedList(new ArrayList<>());
  private final List<String> callerThreads = Collections.synchronizedList(new ArrayList<>());

  @TempDir Path dir;

  @AfterEach
  void killLeftovers() {
    spawnedPids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
  }

  private LineListener recorder() {
    return (source, line) -> {
      seen.add(source + ":" + line);
      callerThreads.add(Thread.currentThread().getName());
    };
  }

  @Test
  void deliversLinesTaggedByStreamInTheOrderOfEachStream() throws Exception {
    CommandResult r =
        runner.stream(
            Command.of("sh", "-c", "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done"),
            recorder());
    assertThat(r.exitCode()).isZero();
    assertThat(seen.stream().filter(l -> l.startsWith("STDOUT:")))
        .containsExactly("STDOUT:out1", "STDOUT:out2", "STDOUT:out3", "STDOUT:out4", "STDOUT:out5");
    assertThat(seen.stream().filter(l -> l.startsWith("STDERR:")))
        .containsExactly("STDERR:err1", "STDERR:err2", "STDERR:err3", "STDERR:err4", "STDERR:err5");
    assertThat(callerThreads).containsOnly(Thread.currentThread().getName());
  }

  @Test
  void deliversALineWhileTheCommandStillRuns() throws Exception {
    // The command waits for a file that only the listener creates, on seeing the first line: a
    // runner that delivered lines at the end only would let it time out.
    Path go = dir.resolve("go");
    Command command =
        Command.builder("sh")
            .args("-c", "echo ready; while [ ! -e '" + go + "' ]; do sleep 0.05; done; echo done")
            .timeout(Duration.ofSeconds(30))
            .build();
    CommandResult r =
        runner.stream(
            command,
            (source, line) -> {
              seen.add(line);
              if (line.equals("ready")) {
                touch(go);
              }
            });
    assertThat(r.exitCode()).isZero();
    assertThat(seen).containsExactly("ready", "done");
  }

  @Test
  void keepsNoStdoutAndOnlyTheTailOfStderr() throws Exception {
    CommandResult r =
        runner.stream(
            Command.of(
                "sh",
                "-c",
                "i=0; while [ $i -lt 3000 ]; do echo line$i >&2; i=$((i+1)); done;"
                    + " echo out; exit 4"),
            recorder());
    assertThat(r.exitCode()).isEqualTo(4);
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stdoutTruncated()).isTrue();
    assertThat(r.stderrTruncated()).isTrue();
    assertThat(r.stderr()).endsWith("line2999\n");
    assertThat(r.stderrBytes().length).isLessThanOrEqualTo(ProcessRunner.STREAM_STDERR_TAIL_BYTES);
    assertThat(seen).hasSize(3001);
    CommandException e = catchThrowableOfType(CommandException.class, r::orThrow);
    assertThat(e.exitCode()).isEqualTo(4);
    assertThat(e.stderrTail()).endsWith("line2999\n");
  }

  @Test
  void aLastLineWithoutNewlineAndCarriageReturnsAreHandled() throws Exception {
    runner.stream(Command.of("sh", "-c", "printf 'a\\r\\nb\\n\\nlast'"), recorder());
    assertThat(seen).containsExactly("STDOUT:a", "STDOUT:b", "STDOUT:", "STDOUT:last");
  }

  @Test
  void aVeryLongLineComesInPieces() throws Exception {
    int len = ProcessRunner.MAX_STREAMED_LINE_BYTES * 2 + 10;
    runner.stream(Command.of("sh", "-c", "head -c " + len + " /dev/zero | tr '\\0' x"), recorder());
    assertThat(seen).hasSize(3);
    assertThat(seen.get(0)).hasSize("STDOUT:".length() + ProcessRunner.MAX_STREAMED_LINE_BYTES);
    assertThat(String.join("", seen).replace("STDOUT:", "")).hasSize(len);
  }

  @Test
  void timeoutKillsTheWholeTreeAndKeepsTheLinesSoFar() throws Exception {
    Path pidFile = dir.resolve("grandchild.pid");
    Command command =
        Command.builder("sh")
            .args(
                "-c",
                "echo starting; echo oops >&2; sleep 300 & echo $! > '" + pidFile + "'; sleep 300")
            .timeout(TIMEOUT)
            .build();
    CommandTimeoutException e =
        catchThrowableOfType(
            CommandTimeoutException.class, () -> runner.stream(command, recorder()));
    assertThat(e.timeout()).isEqualTo(TIMEOUT);
    assertThat(e.stderrTail()).isEqualTo("oops\n");
    assertThat(seen).contains("STDOUT:starting", "STDERR:oops");
    long grandchild = readPid(pidFile);
    ProcessRunnerTest.awaitDead(grandchild, "grandchild");
  }

  @Test
  void interruptKillsTheWholeTreeAndRethrows() throws Exception {
    Path pidFile = dir.resolve("grandchild.pid");
    Command command =
        Command.builder("sh")
            .args("-c", "sleep 300 & echo $! > '" + pidFile + "'; echo up; sleep 300")
            .timeout(Duration.ofMinutes(5))
            .build();
    List<Throwable> thrown = new ArrayList<>();
    Thread caller =
        new Thread(
            () -> {
              try {
                runner.stream(command, recorder());
              } catch (Throwable t) {
                thrown.add(t);
              }
            });
    caller.start();
    long grandchild = readPid(pidFile);
    caller.interrupt();
    Await.join(caller, "the interrupted caller");
    assertThat(thrown).singleElement().isInstanceOf(InterruptedException.class);
    ProcessRunnerTest.awaitDead(grandchild, "grandchild");
  }

  @Test
  void aListenerThatThrowsKillsTheTree() throws Exception {
    Path pidFile = dir.resolve("child.pid");
    Command command =
        Command.builder("sh")
            .args("-c", "echo $$ > '" + pidFile + "'; echo boom; sleep 300")
            .timeout(Duration.ofMinutes(5))
            .build();
    assertThatThrownBy(
            () ->
                runner.stream(
                    command,
                    (source, line) -> {
                      throw new IllegalStateException("listener failed on " + line);
                    }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("listener failed on boom");
    long child = readPid(pidFile);
    ProcessRunnerTest.awaitDead(child, "child");
  }

  @Test
  void aMissingProgramIsACommandException() {
    assertThatThrownBy(() -> runner.stream(Command.of("no-such-program-xyz"), recorder()))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("no-such-program-xyz");
  }

  @Test
  void theFakeRunnerPlaysScriptedLinesAndRecordsTheCommand() throws Exception {
    FakeRunner fake =
        new FakeRunner().onStream(List.of("sh", "build"), List.of("one", "two"), 3, "bad");
    CommandResult r = fake.stream(Command.of("sh", "build", "x"), recorder());
    assertThat(seen).containsExactly("STDOUT:one", "STDOUT:two");
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.stderr()).isEqualTo("bad");
    assertThat(fake.argvs()).containsExactly(List.of("sh", "build", "x"));
  }

  @Test
  void theFakeRunnerStreamsAPlainRuleAfterTheFact() throws Exception {
    FakeRunner fake = new FakeRunner().on(List.of("ls"), 0, "a\nb\n", "warn\n");
    fake.stream(Command.of("ls"), recorder());
    assertThat(seen).containsExactly("STDOUT:a", "STDOUT:b", "STDERR:warn");
  }

  private static void touch(Path file) {
    try {
      Files.createFile(file);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private long readPid(Path file) throws Exception {
    long pid =
        Long.parseLong(
            Await.value(
                    file + " to be written",
                    () ->
                        Files.exists(file) && Files.size(file) > 0
                            ? Optional.of(Files.readString(file))
                            : Optional.empty())
                .strip());
    spawnedPids.add(pid);
    return pid;
  }
}
