package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@RequiresBinary({"sh", "cat", "sleep"})
class ProcessRunnerTest {
  /**
   * The commands' timeout: they must write their pid files before it fires, which takes
   * milliseconds, but a loaded two-core machine can stall a new process for a while.
   */
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private static final int CAP = 64 * 1024;

  private final ProcessRunner runner = new ProcessRunner(Posix.system(), Clock.system());
  private final List<Long> spawnedPids = new ArrayList<>();

  @TempDir Path dir;

  /** Both ways the runner kills a tree: by process group (setsid) and by descendants only. */
  static Stream<Arguments> runners() {
    return Stream.of(
        Arguments.of("with setsid", new ProcessRunner(Posix.system(), Clock.system())),
        Arguments.of(
            "without setsid", new ProcessRunner(Posix.system(), Clock.system(), Optional.empty())));
  }

  @AfterEach
  void killLeftovers() {
    // Only if a test failed midway: no sleep 300 may outlive the test run.
    spawnedPids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
  }

  @Test
  void returnsTheExitCode() throws Exception {
    assertThat(runner.run(Command.of("sh", "-c", "exit 0")).exitCode()).isZero();
    CommandResult r = runner.run(Command.of("sh", "-c", "exit 3"));
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.ok()).isFalse();
    assertThat(r.argv()).containsExactly("sh", "-c", "exit 3");
  }

  @Test
  void capturesStdoutAndStderrSeparately() throws Exception {
    CommandResult r =
        runner.run(Command.of("sh", "-c", "echo out1; echo err1 >&2; echo out2; echo err2 >&2"));
    assertThat(r.stdout()).isEqualTo("out1\nout2\n");
    assertThat(r.stderr()).isEqualTo("err1\nerr2\n");
    assertThat(r.stdoutTruncated()).isFalse();
    assertThat(r.stderrTruncated()).isFalse();
    assertThat(r.elapsed()).isPositive();
  }

  @Test
  void feedsStdin() throws Exception {
    CommandResult r = runner.run(Command.builder("cat").stdin("héllo\nwörld\n").build());
    assertThat(r.stdout()).isEqualTo("héllo\nwörld\n");
  }

  @Test
  void stdinIsEmptyWhenNoneIsGiven() throws Exception {
    CommandResult r = runner.run(Command.of("sh", "-c", "cat; echo end"));
    assertThat(r.stdout()).isEqualTo("end\n");
  }

  @Test
  void aCommandThatIgnoresItsStdinStillFinishes() throws Exception {
    byte[] big = new byte[4 << 20];
    CommandResult r = runner.run(Command.builder("sh").args("-c", "exit 4").stdin(big).build());
    assertThat(r.exitCode()).isEqualTo(4);
  }

  @Test
  void addsEnvironmentVariablesToTheInheritedOnes() throws Exception {
    CommandResult r =
        runner.run(
            Command.builder("sh")
                .args("-c", "echo \"$HEARTH_TEST_VALUE|${PATH:+has-path}\"")
                .env("HEARTH_TEST_VALUE", "a b'c")
                .build());
    assertThat(r.stdout()).isEqualTo("a b'c|has-path\n");
  }

  @Test
  void runsInTheGivenFolder() throws Exception {
    Path sub = Files.createDirectory(dir.resolve("work dir"));
    CommandResult r = runner.run(Command.builder("sh").args("-c", "pwd -P").cwd(sub).build());
    assertThat(r.stdout().strip()).isEqualTo(sub.toRealPath().toString());
  }

  @Test
  void findsARelativeProgramInTheGivenFolder() throws Exception {
    Path script = dir.resolve("hello.sh");
    Files.writeString(script, "#!/bin/sh\necho hello from $0\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    CommandResult r = runner.run(Command.builder("./hello.sh").cwd(dir).build());
    assertThat(r.stdout()).isEqualTo("hello from ./hello.sh\n");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runners")
  void aMissingProgramIsACommandExceptionNamingTheArgv(String mode, ProcessRunner r) {
    CommandException e =
        catchThrowableOfType(
            CommandException.class,
            () -> r.run(Command.of("hearth-no-such-program", "--flag", "two words")));
    assertThat(e).isNotInstanceOf(CommandTimeoutException.class);
    assertThat(e.argv()).containsExactly("hearth-no-such-program", "--flag", "two words");
    assertThat(e.exitCode()).isEqualTo(CommandException.NO_EXIT_CODE);
    assertThat(e)
        .hasMessageContaining("hearth-no-such-program --flag 'two words'")
        .hasMessageContaining("could not be started");
    assertThatThrownBy(() -> r.run(Command.of(dir.resolve("nope").toString())))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining(dir.resolve("nope").toString());
  }

  @Test
  void aFileThatIsNotExecutableCannotBeStarted() throws Exception {
    Path notExecutable = Files.writeString(dir.resolve("plain.txt"), "echo hi\n");
    assertThatThrownBy(() -> runner.run(Command.of(notExecutable.toString())))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("could not be started");
  }

  @Test
  void aMissingWorkingFolderIsACommandException() {
    Path missing = dir.resolve("missing");
    assertThatThrownBy(
            () -> runner.run(Command.builder("sh").args("-c", "true").cwd(missing).build()))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("sh -c true")
        .hasMessageContaining("could not be started");
  }

  @Test
  void checkReturnsTheResultOnSuccess() throws Exception {
    assertThat(runner.check(Command.of("sh", "-c", "echo fine")).stdout()).isEqualTo("fine\n");
  }

  @Test
  void checkThrowsWithArgvExitCodeAndStderrTail() {
    CommandException e =
        catchThrowableOfType(
            CommandException.class,
            () ->
                runner.check(
                    Command.of("sh", "-c", "echo some output; echo 'disk is full' >&2; exit 7")));
    assertThat(e.exitCode()).isEqualTo(7);
    assertThat(e.argv())
        .containsExactly("sh", "-c", "echo some output; echo 'disk is full' >&2; exit 7");
    assertThat(e.stderrTail()).isEqualTo("disk is full\n");
    assertThat(e)
        .hasMessageStartingWith(
            "command `sh -c 'echo some output; echo '\\''disk is full'\\'' >&2; exit 7'`")
        .hasMessageContaining("(exit code 7)")
        .hasMessageEndingWith(": disk is full");
  }

  @Test
  void checkQuotesOnlyTheEndOfALongStderr() {
    CommandException e =
        catchThrowableOfType(
            CommandException.class,
            () ->
                runner.check(
                    Command.of(
                        "sh",
                        "-c",
                        "i=0; while [ $i -lt 2000 ]; do echo line$i >&2;"
                            + " i=$((i+1)); done; exit 1")));
    assertThat(e).hasMessageContaining("line1999").hasMessageNotContaining("line0\n");
    assertThat(e.stderrTail()).startsWith("…").endsWith("line1999\n").hasSizeLessThan(2100);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runners")
  void timeoutKillsTheWholeTree(String mode, ProcessRunner r) throws Exception {
    Path pidFile = dir.resolve("grandchild.pid");
    Command command =
        Command.builder("sh")
            .args("-c", "echo starting >&2; sleep 300 & echo $! > '" + pidFile + "'; sleep 300")
            .timeout(TIMEOUT)
            .build();
    CommandTimeoutException e =
        catchThrowableOfType(CommandTimeoutException.class, () -> r.run(command));
    assertThat(e.timeout()).isEqualTo(TIMEOUT);
    assertThat(e.exitCode()).isEqualTo(CommandException.NO_EXIT_CODE);
    assertThat(e.stderrTail()).isEqualTo("starting\n");
    assertThat(e).hasMessageContaining("timed out after 5s").hasMessageContaining("sh -c");
    long grandchild = readPid(pidFile);
    awaitDead(grandchild, "grandchild");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runners")
  @RequiresBinary("setsid")
  void timeoutKillsADescendantThatLeftTheProcessGroup(String mode, ProcessRunner r)
      throws Exception {
    Path info = dir.resolve("escaped");
    // The inner sh records its pid and process group, then becomes a sleep in its own session.
    String inner =
        "read -r pid comm state ppid pgrp rest < /proc/$$/stat;"
            + " echo \"$pid $pgrp\" > '"
            + info
            + "'; exec sleep 300";
    Command command =
        Command.builder("sh")
            .args(
                "-c",
                "echo $$ > '"
                    + info
                    + ".parent'; setsid sh -c '"
                    + inner.replace("'", "'\\''")
                    + "' & sleep 300")
            .timeout(TIMEOUT)
            .build();
    assertThatThrownBy(() -> r.run(command)).isInstanceOf(CommandTimeoutException.class);

    String[] escaped = awaitFile(info).strip().split(" ");
    long pid = Long.parseLong(escaped[0]);
    long group = Long.parseLong(escaped[1]);
    long parent = readPid(Path.of(info + ".parent"));
    spawnedPids.add(pid);
    assertThat(group).as("it left the group").isEqualTo(pid).isNotEqualTo(parent);
    awaitDead(pid, "escaped descendant");
  }

  @Test
  void interruptingTheCallerKillsTheTreeAndRethrows() throws Exception {
    Path pidFile = dir.resolve("grandchild.pid");
    Command command =
        Command.builder("sh")
            .args("-c", "sleep 300 & echo $! > '" + pidFile + "'; sleep 300")
            .timeout(Duration.ofMinutes(5))
            .build();
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      Future<Throwable> outcome =
          caller.submit(
              () -> {
                try {
                  runner.run(command);
                  return null;
                } catch (Throwable t) {
                  return t;
                }
              });
      long grandchild = readPid(pidFile);
      assertThat(ProcessHandle.of(grandchild)).isPresent();
      outcome.cancel(false);
      caller.shutdownNow(); // interrupts the thread blocked in run()
      assertThat(caller.awaitTermination(1, TimeUnit.MINUTES))
          .as("the interrupted caller ended within a minute")
          .isTrue();
      awaitDead(grandchild, "grandchild");
    } finally {
      caller.shutdownNow();
    }
  }

  @Test
  void interruptionSurfacesAsInterruptedException() throws Exception {
    Path pidFile = dir.resolve("child.pid");
    Command command =
        Command.builder("sh")
            .args("-c", "echo $$ > '" + pidFile + "'; sleep 300")
            .timeout(Duration.ofMinutes(5))
            .build();
    List<Throwable> thrown = new ArrayList<>();
    Thread caller =
        new Thread(
            () -> {
              try {
                runner.run(command);
              } catch (Throwable t) {
                thrown.add(t);
              }
            });
    caller.start();
    long child = readPid(pidFile);
    caller.interrupt();
    Await.join(caller, "the interrupted caller");
    assertThat(thrown).singleElement().isInstanceOf(InterruptedException.class);
    awaitDead(child, "child");
  }

  @Test
  @RequiresBinary("seq")
  void capsOutputKeepingTheHeadOfStdoutAndTheTailOfStderr() throws Exception {
    int lines = 1_500_000; // about 10.9 MB on each stream
    String all = numbers(lines);
    CommandResult r =
        runner.run(
            Command.builder("sh")
                .args("-c", "seq 1 " + lines + "; seq 1 " + lines + " >&2")
                .outputCap(CAP)
                .build());
    assertThat(r.exitCode()).isZero();
    assertThat(r.stdoutBytes()).hasSize(CAP);
    assertThat(r.stdout()).isEqualTo(all.substring(0, CAP));
    assertThat(r.stdoutTruncated()).isTrue();
    assertThat(r.stderrBytes()).hasSize(CAP);
    assertThat(r.stderr()).isEqualTo(all.substring(all.length() - CAP));
    assertThat(r.stderrTruncated()).isTrue();
  }

  @Test
  void anOutputOfExactlyTheCapIsNotTruncated() throws Exception {
    CommandResult r =
        runner.run(
            Command.builder("sh")
                .args("-c", "printf 12345; printf abcde >&2")
                .outputCap(5)
                .build());
    assertThat(r.stdout()).isEqualTo("12345");
    assertThat(r.stderr()).isEqualTo("abcde");
    assertThat(r.stdoutTruncated()).isFalse();
    assertThat(r.stderrTruncated()).isFalse();
  }

  @Test
  void largeInputAndOutputOnAllStreamsDoNotDeadlock() throws Exception {
    byte[] input = new byte[8 << 20];
    Arrays.fill(input, (byte) 'x');
    // cat copies stdin to stdout and stderr at once: every pipe is full at some point.
    CommandResult r =
        runner.run(
            Command.builder("sh")
                .args("-c", "cat | tee /dev/stderr | wc -c >&2; echo done >&2")
                .stdin(input)
                .build());
    assertThat(r.exitCode()).isZero();
    assertThat(r.stderr()).endsWith(input.length + "\ndone\n");
    assertThat(r.stderrTruncated()).isTrue();
    assertThat(r.stderrBytes()).hasSize(Command.DEFAULT_OUTPUT_CAP);
  }

  private static String numbers(int lines) {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= lines; i++) {
      sb.append(i).append('\n');
    }
    return sb.toString();
  }

  /** Waits for a file the command writes early on; the command runs concurrently. */
  private static String awaitFile(Path file) throws Exception {
    return Await.value(
        file + " to be written",
        () -> {
          try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            return text.endsWith("\n") ? Optional.of(text) : Optional.empty();
          } catch (NoSuchFileException e) {
            return Optional.empty();
          }
        });
  }

  private long readPid(Path file) throws Exception {
    long pid = Long.parseLong(awaitFile(file).strip());
    spawnedPids.add(pid);
    return pid;
  }

  /**
   * Waits until the process is gone or a zombie (killed, waiting for a reaper that may be slow).
   */
  static void awaitDead(long pid, String what) throws Exception {
    Path stat = Path.of("/proc", Long.toString(pid), "stat");
    Await.until(
        what + " " + pid + " to be killed",
        () -> {
          try {
            String s = Files.readString(stat);
            String state = s.substring(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
            return state.equals("Z") || state.equals("X");
          } catch (IOException e) {
            return true;
          }
        });
  }
}
