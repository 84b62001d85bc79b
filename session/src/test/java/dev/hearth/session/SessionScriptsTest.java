package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.ShellQuote;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.HostileWords;
import dev.hearth.core.testing.RequiresBinary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the generated scripts with the real /bin/sh against a temp root: no VM needed. */
@RequiresBinary({"sh", "setsid", "mkfifo", "env"})
class SessionScriptsTest {
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00.123Z");

  /** SIGINT (2) in the signal masks of /proc/PID/status. */
  private static final long SIGINT_BIT = 1L << (2 - 1);

  @TempDir java.nio.file.Path dir;
  private LocalGuest guest;
  private SessionScripts scripts;

  @BeforeEach
  void setUp() throws Exception {
    guest = new LocalGuest(dir);
    scripts = guest.scripts;
  }

  @AfterEach
  void tearDown() throws Exception {
    guest.close();
  }

  private static SessionSpec spec(List<String> argv) {
    return new SessionSpec(
        SessionIds.newId(), Optional.empty(), argv, Optional.empty(), Map.of(), T0);
  }

  private String start(SessionSpec spec) throws Exception {
    return SessionListing.parseStarted(spec.id(), guest.ok(scripts.start(spec)));
  }

  private int waitFor(String id) throws Exception {
    return waitFor(guest, id);
  }

  private static int waitFor(LocalGuest guest, String id) throws Exception {
    OptionalInt code =
        SessionListing.parseWait(
            guest.ok("the wait script of session " + id, guest.scripts.waitFor(id)));
    assertThat(code).isPresent();
    return code.getAsInt();
  }

  private SessionInfo info(String id) throws Exception {
    return SessionListing.parse(guest.ok(scripts.list())).sessions().stream()
        .filter(s -> s.id().equals(id))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aSkippedCountFromTheGuestIsTakenOnlyWhenItIsAPositiveNumberTheHostCanAddUp() {
    assertThat(SessionScripts.skipped("hearth-skipped 10\nnoise\nhearth-skipped 5\n"))
        .isEqualTo(15);
    assertThat(SessionScripts.skipped("hearth-skipped -99\nhearth-skipped x\n")).isZero();
    assertThat(SessionScripts.skipped("hearth-skipped 9223372036854775807\nhearth-skipped 1\n"))
        .isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void hostileArgvFolderAndEnvironmentReachTheCommandExactly() throws Exception {
    java.nio.file.Path cwd = dir.resolve("work dir $HOME 'q' \"d\" é 漢\nline");
    java.nio.file.Files.createDirectories(cwd);
    List<String> argv =
        new ArrayList<>(
            List.of("sh", "-c", "printf '<%s>' \"$@\"; pwd; printf '%s|' \"$V1\" \"$V2\"", "sh"));
    argv.addAll(List.of(HostileWords.ALL));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("V1", "a 'b' $c `d` \n é");
    env.put("V2", "");
    SessionSpec spec =
        new SessionSpec(
            SessionIds.newId(), Optional.of("job-1"), argv, Optional.of(cwd.toString()), env, T0);

    String id = start(spec);
    assertThat(waitFor(id)).isZero();

    StringBuilder expected = new StringBuilder();
    for (String word : HostileWords.ALL) {
      expected.append('<').append(word).append('>');
    }
    expected.append(cwd).append('\n').append(env.get("V1")).append("||");
    assertThat(new String(guest.log(id), StandardCharsets.UTF_8)).isEqualTo(expected.toString());

    SessionInfo info = info(id);
    assertThat(info.name()).contains("job-1");
    assertThat(info.argv()).isEqualTo(argv);
    assertThat(info.cwd()).contains(cwd.toString());
    assertThat(info.env()).isEqualTo(env);
    assertThat(info.startedAt()).isEqualTo(T0);
    assertThat(info.state()).isEqualTo(SessionState.EXITED);
    assertThat(info.exitCode()).hasValue(0);
  }

  @Test
  void writesFeedStdinWithoutEofBetweenThemAndCloseStdinEndsIt() throws Exception {
    String id = start(spec(List.of("cat")));
    guest.ok(scripts.write(id)); // an empty write changes nothing
    assertThat(guest.run(scripts.write(id), "hello\n".getBytes(StandardCharsets.UTF_8)).exit())
        .isZero();
    // cat copies what it reads: once it is in the log, cat has read it and is still running.
    Await.until("cat to copy hello to the log", () -> guest.logText(id).equals("hello\n"));
    assertThat(info(id).state()).isEqualTo(SessionState.RUNNING);
    assertThat(guest.run(scripts.write(id), "wörld".getBytes(StandardCharsets.UTF_8)).exit())
        .isZero();
    guest.ok(scripts.closeStdin(id));

    assertThat(waitFor(id)).isZero();
    assertThat(new String(guest.log(id), StandardCharsets.UTF_8)).isEqualTo("hello\nwörld");
  }

  @Test
  void aWriteAfterEofOrAfterTheEndIsRefused() throws Exception {
    String id = start(spec(List.of("sh", "-c", "cat >/dev/null; sleep 1000")));
    guest.ok(scripts.closeStdin(id));
    LocalGuest.Result again = guest.run(scripts.write(id), new byte[] {'x'});
    assertThat(again.exit()).isEqualTo(SessionScripts.REFUSED);
    assertThat(FormatStepError.of("write", id, "demo", again.exit(), again.stderr()).kind())
        .isEqualTo(StepErrorKind.STDIN_CLOSED);

    guest.ok(scripts.kill(id, "KILL"));
    assertThat(waitFor(id)).isEqualTo(137);
    LocalGuest.Result ended = guest.run(scripts.write(id), new byte[] {'x'});
    SessionStepException error =
        FormatStepError.of("write", id, "demo", ended.exit(), ended.stderr());
    assertThat(error.kind()).isEqualTo(StepErrorKind.NOT_RUNNING);
    assertThat(error.getMessage())
        .isEqualTo(
            "session write of "
                + id
                + " in VM demo failed: the session is not running (it is"
                + " exited)");
  }

  @Test
  void killSignalsTheCommandsProcessGroupAndTheWrapperRecordsTheStatus() throws Exception {
    String term = start(spec(List.of("sh", "-c", "sleep 1000 & wait")));
    guest.ok(scripts.kill(term, "sigterm"));
    assertThat(waitFor(term)).isEqualTo(143);

    // INT reaches the command (an async list in a non-interactive shell would ignore it).
    assertThatSigintReachesTheCommand(guest);
  }

  /**
   * The cause of a hang seen in CI: the test JVM ran as a background job of a non-interactive
   * shell, so it and every process it started ignored SIGINT, and the session never ended. Scripts
   * run as under sshd, with default signal dispositions, however the JVM was started.
   */
  @Test
  void sigintReachesTheCommandWhenTheScriptsAreStartedFromAProcessIgnoringIt() throws Exception {
    List<String> ignoreInt = List.of("sh", "-c", "trap '' INT QUIT; exec \"$@\"", "ignore-int");
    List<String> probe = new ArrayList<>(ignoreInt);
    probe.addAll(List.of("grep", "^SigIgn:", "/proc/self/status"));
    String ignored =
        Await.output(new ProcessBuilder(probe).start(), Await.DEFAULT, "grep").stdout();
    assertThat(Long.parseLong(ignored.replace("SigIgn:", "").strip(), 16) & SIGINT_BIT)
        .as("the launcher makes SIGINT ignored: %s", ignored)
        .isNotZero();

    try (LocalGuest ignoring =
        new LocalGuest(Files.createDirectory(dir.resolve("ignoring")), ignoreInt)) {
      assertThatSigintReachesTheCommand(ignoring);
    }
  }

  private static void assertThatSigintReachesTheCommand(LocalGuest g) throws Exception {
    SessionSpec spec =
        spec(
            List.of(
                "sh",
                "-c",
                "trap 'echo got-int; exit 7' INT; echo ready; while :; do sleep 0.05; done"));
    String interrupt = SessionListing.parseStarted(spec.id(), g.ok(g.scripts.start(spec)));
    Await.until(
        "session " + interrupt + " to set its trap and print ready",
        () -> g.logText(interrupt).contains("ready"));
    g.ok(g.scripts.kill(interrupt, "INT"));
    assertThat(waitFor(g, interrupt)).isEqualTo(7);
    assertThat(g.logText(interrupt)).endsWith("got-int\n");
  }

  @Test
  void logsFromAnOffsetAndFollowUntilTheEnd() throws Exception {
    String id = start(spec(List.of("sh", "-c", "printf 'héllo\\n'; read x; echo \"$x\"; exit 4")));
    Await.until("the first line in the log", () -> guest.log(id).length >= 7);
    assertThat(guest.ok(scripts.logs(id, 0))).isEqualTo("héllo\n");
    assertThat(guest.ok(scripts.logs(id, 3))).isEqualTo("llo\n");
    assertThat(guest.ok(scripts.logs(id, 100))).isEmpty();

    Process follow = guest.spawn(scripts.follow(id, 1));
    guest.run(scripts.write(id), "next line\n".getBytes(StandardCharsets.UTF_8));
    Await.Output out =
        Await.output(follow, LocalGuest.SCRIPT_DEADLINE, "the follow script of session " + id);
    assertThat(out.exitCode()).isZero();
    byte[] all = guest.log(id);
    assertThat(out.stdoutBytes()).isEqualTo(java.util.Arrays.copyOfRange(all, 1, all.length));
    assertThat(new String(all, StandardCharsets.UTF_8)).isEqualTo("héllo\nnext line\n");
    assertThat(waitFor(id)).isEqualTo(4);
  }

  @Test
  @RequiresBinary({"fallocate", "stat"})
  void aChattySessionsLogIsTrimmedToItsBoundAndTheLogsSkipWhatWasDropped() throws Exception {
    long max = 16 * 1024;
    int written = 200 * 1024;
    SessionScripts bounded = new SessionScripts(scripts.layout(), List.of(), max);
    SessionSpec spec =
        spec(
            List.of("sh", "-c", "yes 0123456789abcde | head -c " + written + "; read x; echo end"));
    String id = SessionListing.parseStarted(spec.id(), guest.ok(bounded.start(spec)));
    java.nio.file.Path log = guest.root.resolve(id).resolve("log");
    java.nio.file.Path start = guest.root.resolve(id).resolve("log.start");
    Await.until(
        "the trimmer punched the log down to its bound of " + max + " bytes on disk",
        () -> Files.exists(start) && allocatedBytes(log) <= max);

    byte[] all = "0123456789abcde\n".repeat(written / 16).getBytes(StandardCharsets.UTF_8);
    long dropped = Long.parseLong(Files.readString(start).strip());
    assertThat(dropped).isPositive().isLessThanOrEqualTo(written - max / 2);
    assertThat(Files.size(log)).as("offsets stay those of the whole output").isEqualTo(written);
    LocalGuest.Result logs = guest.run(bounded.logs(id, 0));
    assertThat(logs.exit()).isZero();
    assertThat(SessionScripts.skipped(logs.stderr())).isEqualTo(dropped);
    assertThat(logs.stdout()).isEqualTo(Arrays.copyOfRange(all, (int) dropped, written));
    LocalGuest.Result fromLater = guest.run(bounded.logs(id, written - 5));
    assertThat(fromLater.out()).isEqualTo("bcde\n");
    assertThat(SessionScripts.skipped(fromLater.stderr())).isZero();

    Process follow = guest.spawn(bounded.follow(id, 3));
    guest.run(bounded.write(id), "x\n".getBytes(StandardCharsets.UTF_8));
    Await.Output out =
        Await.output(follow, LocalGuest.SCRIPT_DEADLINE, "the follow script of session " + id);
    assertThat(out.exitCode()).isZero();
    assertThat(SessionScripts.skipped(out.stderr())).isEqualTo(dropped - 3);
    assertThat(new String(out.stdoutBytes(), StandardCharsets.UTF_8))
        .startsWith(new String(all, (int) dropped, 32, StandardCharsets.UTF_8))
        .endsWith("0123456789abcde\nend\n");
    assertThat(waitFor(id)).isZero();
  }

  @Test
  void skippedSumsTheScriptsLinesOnly() {
    assertThat(SessionScripts.skipped("hearth-skipped 4096\nnoise\nhearth-skipped x\n"))
        .isEqualTo(4096);
    assertThat(SessionScripts.skipped("")).isZero();
  }

  /** The bytes of disk a file takes ({@code st_blocks} of 512 bytes). */
  private static long allocatedBytes(java.nio.file.Path file) throws Exception {
    Process stat = new ProcessBuilder("stat", "-c", "%b", file.toString()).start();
    Await.Output o = Await.output(stat, Duration.ofSeconds(30), "stat of " + file);
    return Long.parseLong(o.stdout().strip()) * 512;
  }

  @Test
  void aGuestRestartLeavesTheSessionLost() throws Exception {
    String id = start(spec(List.of("sleep", "1000")));
    assertThat(info(id).state()).isEqualTo(SessionState.RUNNING);
    guest.reboot();

    SessionInfo lost = info(id);
    assertThat(lost.state()).isEqualTo(SessionState.LOST);
    assertThat(lost.exitCode()).isEmpty();
    assertThat(guest.ok(scripts.waitFor(id))).isEqualTo("lost\n");
    assertThat(SessionListing.parseWait("lost\n")).isEmpty();
    // follow ends at once for a lost session
    assertThat(guest.ok(scripts.follow(id, 0))).isEmpty();
  }

  @Test
  void aWrapperKilledInsideTheGuestLeavesTheSessionLost() throws Exception {
    String id = start(spec(List.of("sleep", "1000")));
    String wrapper =
        java.nio.file.Files.readString(guest.root.resolve(id).resolve("wrapper.pid")).strip();
    guest.ok("kill -KILL " + wrapper);
    Await.until(
        "session " + id + " to stop reading as running",
        () -> info(id).state() != SessionState.RUNNING);
    assertThat(info(id).state()).isEqualTo(SessionState.LOST);
  }

  /**
   * A lost session's wrapper, a zombie, can be reaped between session_state's two looks at it
   * ({@code kill -0}, then its /proc entry): the session then read as running for a moment, which
   * the test above caught in a loop under load. A {@code cat} that finds no /proc entry plays that
   * reaping deterministically: the wrapper still answers {@code kill -0}, its entry is gone.
   */
  @Test
  void smallFilesTheGuestMadeHugeOrAFifoNeitherFloodNorBlockTheScripts() throws Exception {
    String fifo = start(spec(List.of("sleep", "1000")));
    String huge = start(spec(List.of("sleep", "1000")));
    java.nio.file.Path boot = guest.root.resolve(fifo).resolve("boot");
    Files.delete(boot);
    Process mkfifo = new ProcessBuilder("mkfifo", boot.toString()).start();
    assertThat(Await.exit(mkfifo, Await.DEFAULT, "mkfifo")).isZero();
    try (java.io.RandomAccessFile exit =
        new java.io.RandomAccessFile(guest.root.resolve(huge).resolve("exit").toFile(), "rw")) {
      exit.setLength(64L * 1024 * 1024);
    }

    String listed = guest.ok(scripts.list());

    assertThat(listed.length()).isLessThan(64 * 1024);
    SessionListing.Listing listing = SessionListing.parse(listed);
    assertThat(listing.sessions())
        .filteredOn(s -> s.id().equals(fifo))
        .singleElement()
        .extracting(SessionInfo::state)
        .isEqualTo(SessionState.LOST);
    assertThat(listing.sessions())
        .filteredOn(s -> s.id().equals(huge))
        .singleElement()
        .extracting(SessionInfo::exitCode)
        .isEqualTo(OptionalInt.empty());
  }

  @Test
  void aWrapperWhoseProcEntryVanishesReadsAsEnded() throws Exception {
    String id = start(spec(List.of("sleep", "1000")));
    assertThat(info(id).state()).isEqualTo(SessionState.RUNNING);
    java.nio.file.Path bin = Files.createDirectories(dir.resolve("reaping bin"));
    // The scripts read small files with head -c: this one cannot read a /proc/PID/stat.
    java.nio.file.Path head = bin.resolve("head");
    String realHead =
        Files.isExecutable(java.nio.file.Path.of("/usr/bin/head")) ? "/usr/bin/head" : "/bin/head";
    Files.writeString(
        head,
        "#!/bin/sh\nfor a; do case \"$a\" in /proc/[0-9]*/stat) exit 1 ;; esac; done\nexec "
            + realHead
            + " \"$@\"\n");
    assertThat(head.toFile().setExecutable(true)).isTrue();

    String listed =
        guest.ok("PATH=" + ShellQuote.quote(bin.toString()) + ":$PATH\n" + scripts.list());

    assertThat(SessionListing.parse(listed).sessions())
        .filteredOn(s -> s.id().equals(id))
        .singleElement()
        .extracting(SessionInfo::state)
        .isEqualTo(SessionState.LOST);
  }

  @Test
  void aNameIsUniqueAmongRunningSessions() throws Exception {
    SessionSpec first =
        new SessionSpec(
            SessionIds.newId(),
            Optional.of("build"),
            List.of("cat"),
            Optional.empty(),
            Map.of(),
            T0);
    String id = start(first);
    SessionSpec second =
        new SessionSpec(
            SessionIds.newId(),
            Optional.of("build"),
            List.of("true"),
            Optional.empty(),
            Map.of(),
            T0);

    LocalGuest.Result refused = guest.run(scripts.start(second));
    SessionStepException error =
        FormatStepError.ofStart(second, "demo", refused.exit(), refused.stderr());
    assertThat(error.kind()).isEqualTo(StepErrorKind.NAME_TAKEN);
    assertThat(error.getMessage())
        .isEqualTo(
            "session start of 'build' ("
                + second.id()
                + ") in VM demo failed: the name is taken by running session "
                + id);
    assertThat(SessionListing.parse(guest.ok(scripts.list())).sessions()).hasSize(1);

    guest.ok(scripts.closeStdin(id));
    assertThat(waitFor(id)).isZero();
    assertThat(start(second)).isEqualTo(second.id());
  }

  @Test
  void aMissingFolderOrCommandIsRefusedBeforeAnythingIsCreated() throws Exception {
    String hostileCwd = "/nonexistent/it's $HOME\nx";
    SessionSpec noCwd =
        new SessionSpec(
            SessionIds.newId(),
            Optional.empty(),
            List.of("true"),
            Optional.of(hostileCwd),
            Map.of(),
            T0);
    LocalGuest.Result r = guest.run(scripts.start(noCwd));
    SessionStepException error = FormatStepError.ofStart(noCwd, "demo", r.exit(), r.stderr());
    assertThat(error.kind()).isEqualTo(StepErrorKind.NO_CWD);
    assertThat(error.getMessage())
        .contains("the working folder '/nonexistent/it's $HOME\\x0ax' does not exist");

    SessionSpec noCommand = spec(List.of("no such command é"));
    r = guest.run(scripts.start(noCommand));
    error = FormatStepError.ofStart(noCommand, "demo", r.exit(), r.stderr());
    assertThat(error.kind()).isEqualTo(StepErrorKind.NO_COMMAND);
    assertThat(error.getMessage()).contains("the command 'no such command é' was not found");

    // PATH from the session's environment is the one searched
    java.nio.file.Path bin = dir.resolve("bin");
    java.nio.file.Files.createDirectories(bin);
    java.nio.file.Path tool = bin.resolve("my-tool");
    java.nio.file.Files.writeString(tool, "#!/bin/sh\necho tool ran\n");
    tool.toFile().setExecutable(true);
    SessionSpec withPath =
        new SessionSpec(
            SessionIds.newId(),
            Optional.empty(),
            List.of("my-tool"),
            Optional.empty(),
            Map.of("PATH", bin + ":/usr/bin:/bin"),
            T0);
    String id = start(withPath);
    assertThat(waitFor(id)).isZero();
    assertThat(new String(guest.log(id), StandardCharsets.UTF_8)).isEqualTo("tool ran\n");

    assertThat(SessionListing.parse(guest.ok(scripts.list())).sessions())
        .extracting(SessionInfo::id)
        .containsExactly(id);
    assertThat(java.nio.file.Files.list(guest.root).map(p -> p.getFileName().toString()))
        .containsExactly(id);
  }

  @Test
  void scriptsOnAnUnknownSessionAnswerNotFound() throws Exception {
    String id = SessionIds.newId();
    for (String script :
        List.of(
            scripts.write(id),
            scripts.kill(id, "TERM"),
            scripts.waitFor(id),
            scripts.logs(id, 0),
            scripts.follow(id, 0),
            scripts.closeStdin(id))) {
      LocalGuest.Result r = guest.run(script);
      assertThat(r.exit()).isEqualTo(SessionScripts.REFUSED);
      SessionStepException error = FormatStepError.of("attach", id, "demo", r.exit(), r.stderr());
      assertThat(error.kind()).isEqualTo(StepErrorKind.NOT_FOUND);
      assertThat(error.getMessage())
          .isEqualTo(
              "session attach of "
                  + id
                  + " in VM demo failed: there is no session "
                  + id
                  + " in the guest");
    }
    assertThat(guest.ok(scripts.list())).startsWith("boot ").hasLineCount(1);
  }

  @Test
  void privateVariablesOfTheScriptsAreNotInherited() throws Exception {
    SessionScripts withPrivate = new SessionScripts(guest.scripts.layout(), List.of("HEARTH_MARK"));
    SessionSpec spec =
        spec(List.of("sh", "-c", "printf '%s|%s' \"${HEARTH_MARK-unset}\" \"$KEEP\""));
    LocalGuest.Result r = guest.run("export HEARTH_MARK=x KEEP=kept\n" + withPrivate.start(spec));
    assertThat(r.exit()).isZero();
    assertThat(waitFor(spec.id())).isZero();
    assertThat(new String(guest.log(spec.id()), StandardCharsets.UTF_8)).isEqualTo("unset|kept");
    assertThatThrownBy(() -> new SessionScripts(guest.scripts.layout(), List.of("A;B")))
        .isInstanceOf(InvalidSessionRequestException.class);
  }

  @Test
  void killRefusesAnUnknownSignalBeforeAnyScriptExists() {
    assertThatThrownBy(() -> scripts.kill(SessionIds.newId(), "TERM; rm -rf /"))
        .isInstanceOf(InvalidSessionRequestException.class)
        .hasMessageStartingWith("unknown signal 'TERM; rm -rf /'; use one of HUP, INT");
  }
}
