package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Layout;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.session.testing.TestSshd;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GuestExec against a real OpenSSH sshd on 127.0.0.1: the host plays the guest. */
@RequiresRoot
@RequiresBinary({"sshd", "ssh-keygen", "unshare"})
class GuestExecHostTest {
  private static final String LOCALHOST = "127.0.0.1";

  @TempDir static Path dir;
  private static MinaGuestDialer dialer;
  private static TestSshd sshd;
  private static GuestExec exec;
  private static GuestTarget target;

  @BeforeAll
  static void startSshd() throws Exception {
    SshKeyPair key =
        SshKeyPair.loadOrCreate(new Layout(dir.resolve("state"), dir.resolve("run")), "t@hearth");
    dialer = MinaGuestDialer.of(key.keyPair());
    int port = TestSshd.freePort();
    sshd = TestSshd.start(dir.resolve("sshd"), port, key.publicKeyLine());
    sshd.awaitListening();
    exec = new GuestExec(dialer, Duration.ofSeconds(30));
    target = new GuestTarget("demo", LOCALHOST, port);
  }

  @AfterAll
  static void stopSshd() throws Exception {
    try {
      if (sshd != null) {
        sshd.close();
      }
    } finally {
      if (dialer != null) {
        dialer.close();
      }
    }
  }

  private record Run(int code, String out, String err) {}

  private static Run run(ExecRequest request, InputStream stdin) throws InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = exec.run(target, request, stdin, out, err);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Run run(List<String> argv) throws InterruptedException {
    return run(ExecRequest.of(argv), InputStream.nullInputStream());
  }

  @Test
  void exitCodesAndSeparatedStreams() throws Exception {
    Run run = run(List.of("sh", "-c", "echo to-out; echo to-err >&2; exit 3"));

    assertThat(run.code()).isEqualTo(3);
    assertThat(run.out()).isEqualTo("to-out\n");
    assertThat(run.err()).isEqualTo("to-err\n");
    assertThat(run(List.of("true")).code()).isZero();
  }

  @Test
  void endlessStderrCapturedInMemoryStopsTheCommandAtTheBound() throws Exception {
    String marker = "endless-" + java.util.UUID.randomUUID();
    BoundedOutput err = new BoundedOutput("the stderr of the endless command", 64 * 1024);

    assertThatThrownBy(
            () ->
                exec.run(
                    target,
                    ExecRequest.of(List.of("sh", "-c", "exec yes " + marker + " >&2")),
                    InputStream.nullInputStream(),
                    OutputStream.nullOutputStream(),
                    err))
        .isInstanceOf(GuestExecException.class)
        .hasMessageStartingWith(
            "the stderr of the endless command passed 64 KiB, the most the daemon reads of it;"
                + " the guest command was stopped (");
    assertThat(err.bytes()).hasSize(64 * 1024);
    // Stopped, not drained: the channel's close ends the command (SIGPIPE on its next write).
    Await.until(
        "the endless command to end once its channel was closed",
        () ->
            ProcessHandle.allProcesses()
                .noneMatch(p -> p.info().commandLine().orElse("").contains(marker)));
  }

  @Test
  void aCommandKilledByASignalExitsWith128PlusItsNumber() throws Exception {
    assertThat(run(List.of("sh", "-c", "kill -KILL $$")).code()).isEqualTo(137);
  }

  @Test
  void argumentsArePassedExactly() throws Exception {
    String hostile = "it's $HOME `id` \"q\" \\ ; | & * \n new line é";
    Run run = run(List.of("printf", "%s", hostile));

    assertThat(run.out()).isEqualTo(hostile);
  }

  @Test
  void stdinIsForwardedAndItsEndIsSeen() throws Exception {
    byte[] input = "one\ntwo\n".getBytes(StandardCharsets.UTF_8);
    Run run = run(ExecRequest.of(List.of("cat")), new ByteArrayInputStream(input));

    assertThat(run.code()).isZero();
    assertThat(run.out()).isEqualTo("one\ntwo\n");
  }

  @Test
  void environmentAndWorkingFolder() throws Exception {
    Path cwd = Files.createDirectories(dir.resolve("work dir"));
    ExecRequest request =
        new ExecRequest(
            List.of("sh", "-c", "printf '%s|%s|' \"$GREETING\" \"$OTHER\"; pwd"),
            Map.of("GREETING", "hello 'world' $x", "OTHER", "2"),
            Optional.of(cwd.toString()),
            Optional.empty());

    Run run = run(request, InputStream.nullInputStream());

    assertThat(run.out()).isEqualTo("hello 'world' $x|2|" + cwd + "\n");
  }

  @Test
  void aMissingWorkingFolderFailsInTheGuestWithItsMessage() throws Exception {
    ExecRequest request =
        new ExecRequest(
            List.of("true"), Map.of(), Optional.of("/no/such/folder"), Optional.empty());

    Run run = run(request, InputStream.nullInputStream());

    assertThat(run.code()).isNotZero();
    assertThat(run.err()).contains("/no/such/folder");
  }

  @Test
  void aTerminalHasTheRequestedSizeAndTerm() throws Exception {
    ExecRequest request =
        new ExecRequest(
            List.of("sh", "-c", "stty size; echo $TERM; test -t 0 && echo tty"),
            Map.of(),
            Optional.empty(),
            Optional.of(new ExecRequest.Pty("vt100", 132, 43)));

    Run run = run(request, InputStream.nullInputStream());

    assertThat(run.out().replace("\r", "")).isEqualTo("43 132\nvt100\ntty\n");
  }

  @Test
  void aWindowChangeReachesTheTerminal() throws Exception {
    PipedOutputStream typing = new PipedOutputStream();
    PipedInputStream keyboard = new PipedInputStream(typing);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExecRequest request =
        new ExecRequest(
            List.of("sh", "-c", "read line; stty size"),
            Map.of(),
            Optional.empty(),
            Optional.of(new ExecRequest.Pty("xterm", 80, 24)));
    try (GuestExec.Execution execution =
        exec.start(target, request, keyboard, out, new ByteArrayOutputStream())) {
      execution.resize(100, 50);
      typing.write("go\n".getBytes(StandardCharsets.UTF_8));
      typing.flush();
      assertThat(Await.call("the exec of stty size to end", execution::await)).isZero();
    }
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("50 100");
    typing.close();
  }

  @Test
  void closingAnUnfinishedExecutionEndsTheCommandInTheGuest() throws Exception {
    String marker = "4711" + System.nanoTime() % 1000;
    GuestExec.Execution execution =
        exec.start(
            target,
            ExecRequest.of(List.of("sleep", marker)),
            InputStream.nullInputStream(),
            new ByteArrayOutputStream(),
            new ByteArrayOutputStream());
    awaitProcess(marker, true);

    execution.close();

    awaitProcess(marker, false);
  }

  @Test
  void anUnreachableGuestIsAnErrorNamingIt() {
    GuestTarget nowhere = new GuestTarget("ghost", LOCALHOST, 2);
    assertThatThrownBy(
            () ->
                exec.run(
                    nowhere,
                    ExecRequest.of(List.of("true")),
                    InputStream.nullInputStream(),
                    new ByteArrayOutputStream(),
                    new ByteArrayOutputStream()))
        .isInstanceOf(GuestSshException.class)
        .hasMessageContaining("root@" + LOCALHOST + ":2");
  }

  /** Waits (bounded) until a process whose command line has the marker runs, or none does. */
  static void awaitProcess(String marker, boolean present) throws Exception {
    // Generous: the test's "guest" is this busy host, whose every process the cancel searches.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      boolean found = commandLines().stream().anyMatch(l -> l.contains("sleep " + marker));
      if (found == present) {
        return;
      }
      assertThat(System.nanoTime())
          .as(
              "a process 'sleep %s' %s; sshd logged:%n%s",
              marker, present ? "appears" : "ends", sshd.log())
          .isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  /** The command lines of this host's processes, NULs as spaces. */
  private static List<String> commandLines() throws IOException {
    List<String> lines = new ArrayList<>();
    try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path process : processes) {
        try {
          lines.add(Files.readString(process.resolve("cmdline")).replace('\0', ' '));
        } catch (IOException gone) {
          // ended meanwhile
        }
      }
    }
    return lines;
  }
}
