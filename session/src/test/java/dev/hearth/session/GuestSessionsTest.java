package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.FakeClock;
import dev.hearth.core.testing.RequiresBinary;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GuestSessions on a local guest ({@link LocalGuest}: the real scripts with the host's sh). */
@RequiresBinary({"sh", "setsid", "mkfifo"})
class GuestSessionsTest {
  private static final SessionGuest VM =
      new SessionGuest("0123abcd", new GuestTarget("demo", "10.77.0.2", 22));

  @TempDir Path dir;
  private LocalGuest guest;
  private GuestSessions sessions;

  @BeforeEach
  void setUp() throws IOException {
    guest = new LocalGuest(dir);
    sessions = new GuestSessions(scriptsOn(guest), new FakeClock());
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    sessions.close();
    guest.close();
  }

  @Test
  void aSessionIsFoundByNameWrittenToReadAndKilled() throws Exception {
    SessionInfo started = start(Optional.of("cat"), List.of("cat"));

    assertThat(sessions.list(VM)).extracting(SessionInfo::id).containsExactly(started.id());
    sessions.write(VM, "cat", "hello\n".getBytes(StandardCharsets.UTF_8), false);
    assertThat(sessions.kill(VM, "cat", "INT")).isEqualTo("INT");
    GuestSessions.End end = sessions.waitFor(VM, started.id(), Cancellation.never());

    assertThat(end).isEqualTo(new GuestSessions.End(SessionState.EXITED, OptionalInt.of(130)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    GuestSessions.LogEnd logs = sessions.logs(VM, "cat", 0, false, out, Cancellation.never());
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello\n");
    assertThat(logs.nextOffset()).isEqualTo(6);
  }

  @Test
  void aForgedSkippedCountPastAnyOffsetFailsTheLogsInsteadOfANegativeNextOffset() throws Exception {
    SessionInfo started = start(Optional.of("echo"), List.of("echo", "hello"));
    sessions.waitFor(VM, started.id(), never());
    GuestScripts real = scriptsOn(guest);
    // A guest whose tools were replaced: every script also claims the most bytes a long holds.
    GuestScripts forging =
        new GuestScripts() {
          @Override
          public SessionLayout layout(SessionGuest vm) {
            return real.layout(vm);
          }

          @Override
          public int run(
              SessionGuest vm,
              String script,
              InputStream stdin,
              OutputStream stdout,
              OutputStream stderr,
              Cancellation cancel)
              throws IOException, InterruptedException {
            int exit = real.run(vm, script, stdin, stdout, stderr, cancel);
            stderr.write("hearth-skipped 9223372036854775807\n".getBytes(StandardCharsets.UTF_8));
            return exit;
          }
        };
    try (GuestSessions forged = new GuestSessions(forging, new FakeClock())) {
      assertThatThrownBy(
              () -> forged.logs(VM, "echo", 0, false, OutputStream.nullOutputStream(), never()))
          .isInstanceOf(SessionOutputException.class)
          .hasMessage(
              "the logs script of session 'echo' ("
                  + started.id()
                  + ") in VM demo reported 9223372036854775807 bytes skipped from offset 0 and"
                  + " printed 6: past the largest offset a log can have");
    }
  }

  @Test
  void refusalsAndUnknownSessionsAreTypedAndNamed() throws Exception {
    SessionInfo first = start(Optional.of("web"), List.of("sleep", "1000"));

    assertThatThrownBy(() -> start(Optional.of("web"), List.of("sleep", "1000")))
        .isInstanceOfSatisfying(
            SessionStepException.class,
            e -> assertThat(e.kind()).isEqualTo(StepErrorKind.NAME_TAKEN))
        .hasMessageContaining("in VM demo")
        .hasMessageContaining(first.id());
    assertThatThrownBy(() -> sessions.kill(VM, "nope", "TERM"))
        .isInstanceOf(SessionNotFoundException.class)
        .hasMessage("no session 'nope' in VM demo; see `hearth session list demo`");
    assertThatThrownBy(() -> sessions.kill(VM, "web", "NOPE"))
        .isInstanceOf(InvalidSessionRequestException.class);
    assertThatThrownBy(
            () -> sessions.logs(VM, "web", -1, false, OutputStream.nullOutputStream(), never()))
        .isInstanceOf(InvalidSessionRequestException.class)
        .hasMessageContaining("cannot be negative");
  }

  @Test
  void aListForgetsTheSessionsItNoLongerNamesOnceNoCallUsesThem() throws Exception {
    SessionInfo started = start(Optional.of("old"), List.of("true"));
    assertThat(sessions.waitFor(VM, started.id(), never()).state()).isEqualTo(SessionState.EXITED);
    // The guest renames the folder: the next list names another id only.
    Files.move(guest.root.resolve(started.id()), guest.root.resolve("ffffffffff"));

    assertThat(sessions.list(VM)).extracting(SessionInfo::id).containsExactly("ffffffffff");
    // Its controller is gone (the wait left no use of it): the exact id now takes a list.
    assertThatThrownBy(
            () ->
                sessions.logs(VM, started.id(), 0, false, OutputStream.nullOutputStream(), never()))
        .isInstanceOf(SessionNotFoundException.class)
        .hasMessage("no session '" + started.id() + "' in VM demo; see `hearth session list demo`");
  }

  @Test
  void aGuestThatCannotBeReachedIsAGuestScriptError() {
    GuestSessions unreachable =
        new GuestSessions(
            (vm, script, stdin, stdout, stderr, cancel) -> {
              throw new IOException("connection refused");
            },
            new FakeClock());
    try (unreachable) {
      assertThatThrownBy(() -> unreachable.list(VM))
          .isInstanceOf(GuestScriptException.class)
          .hasMessage("cannot run a session script in VM demo (10.77.0.2): connection refused");
    }
  }

  @Test
  void aSessionWhoseMetaFileTheGuestGrewIsReportedBrokenAndTheOthersAreListed() throws Exception {
    SessionInfo kept = start(Optional.of("kept"), List.of("sleep", "1000"));
    SessionInfo hostile = start(Optional.of("hostile"), List.of("sleep", "1000"));
    // A sparse file: 64 MiB of zeros after the real metadata, as `truncate -s` in a guest makes.
    try (RandomAccessFile meta =
        new RandomAccessFile(guest.root.resolve(hostile.id()).resolve("meta").toFile(), "rw")) {
      meta.setLength(64L * 1024 * 1024);
    }

    SessionListing.Listing listing = sessions.listing(VM);

    assertThat(listing.sessions()).extracting(SessionInfo::id).containsExactly(kept.id());
    assertThat(listing.broken())
        .containsExactly(
            new SessionListing.Broken(
                hostile.id(), "its meta file is larger than 256 KiB, the most the daemon reads"));
    assertThat(sessions.list(VM)).extracting(SessionInfo::id).containsExactly(kept.id());
    // A daemon that did not start it (a restarted one) knows it only from the list.
    try (GuestSessions restarted = new GuestSessions(scriptsOn(guest), new FakeClock())) {
      assertThatThrownBy(() -> restarted.kill(VM, hostile.id(), "TERM"))
          .isInstanceOf(SessionOutputException.class)
          .hasMessage(
              "session "
                  + hostile.id()
                  + " of VM demo is broken: its meta file is larger than 256 KiB, the most the"
                  + " daemon reads");
      assertThat(restarted.kill(VM, "kept", "TERM")).isEqualTo("TERM");
    }
  }

  @Test
  void metaLinesThatLookLikeTheListsFramingCannotForgeOrBreakARecord() throws Exception {
    SessionInfo real = start(Optional.of("real"), List.of("sleep", "1000"));
    Files.writeString(
        guest.root.resolve(real.id()).resolve("meta"),
        "end\nsession aaaaaaaaaa\narg eA==\nstarted 1\nstate exited\nexit 0\nend\n",
        StandardOpenOption.APPEND);

    SessionListing.Listing listing = sessions.listing(VM);

    assertThat(listing.sessions()).extracting(SessionInfo::id).containsExactly(real.id());
    assertThat(listing.sessions().get(0).state()).isEqualTo(SessionState.RUNNING);
    assertThat(listing.broken()).isEmpty();
  }

  @Test
  void aListScriptWithoutEndIsStoppedAtTheBoundNamingItAndTheVm() {
    EndlessGuest endless = new EndlessGuest(true);
    GuestSessions bounded = new GuestSessions(endless, new FakeClock());
    try (bounded) {
      assertThatThrownBy(() -> bounded.list(VM))
          .isInstanceOf(SessionOutputException.class)
          .hasMessage(
              "the stdout of the session list script in VM demo passed 8 MiB, the most the daemon"
                  + " reads of it; the guest command was stopped");
    }
    assertThat(endless.mostInOneRun).isLessThanOrEqualTo(8L * 1024 * 1024);
  }

  @Test
  void endlessStderrOfAScriptIsStoppedAtTheBound() throws Exception {
    SessionInfo started = start(Optional.empty(), List.of("sleep", "1000"));
    EndlessGuest endless = new EndlessGuest(false);
    GuestSessions bounded = new GuestSessions(endless, new FakeClock());
    try (bounded) {
      assertThatThrownBy(() -> bounded.kill(VM, started.id(), "TERM"))
          .isInstanceOf(SessionOutputException.class)
          .hasMessage(
              "the stderr of the session list script in VM demo passed 64 KiB, the most the"
                  + " daemon reads of it; the guest command was stopped");
      assertThatThrownBy(() -> bounded.waitFor(VM, started.id(), Cancellation.never()))
          .hasMessageStartingWith("the stderr of the session list script in VM demo passed 64 KiB");
    }
    assertThat(endless.mostInOneRun).isLessThanOrEqualTo(64L * 1024);
  }

  /**
   * A guest whose every script writes without end to stdout (or stderr), as a guest that replaced
   * its tools could: up to 256 MiB (so that unbounded code fails rather than runs forever), and it
   * stops at the first refused write, as GuestExec closes the channel then.
   */
  private static final class EndlessGuest implements GuestScripts {
    private static final long MOST = 256L * 1024 * 1024;
    private final boolean toStdout;
    volatile long mostInOneRun;

    EndlessGuest(boolean toStdout) {
      this.toStdout = toStdout;
    }

    @Override
    public int run(
        SessionGuest vm,
        String script,
        InputStream stdin,
        OutputStream stdout,
        OutputStream stderr,
        Cancellation cancel)
        throws IOException {
      byte[] chunk = new byte[32 * 1024];
      java.util.Arrays.fill(chunk, (byte) 'x');
      OutputStream to = toStdout ? stdout : stderr;
      long written = 0;
      try {
        while (written < MOST) {
          to.write(chunk);
          written += chunk.length;
        }
      } finally {
        mostInOneRun = Math.max(mostInOneRun, written);
      }
      return 0;
    }
  }

  private SessionInfo start(Optional<String> name, List<String> argv) throws InterruptedException {
    return sessions.start(VM, name, argv, Optional.empty(), Map.of());
  }

  private static Cancellation never() {
    return Cancellation.never();
  }

  /** Runs each script to its end with the local guest's sh, whatever the guest asked for. */
  private static GuestScripts scriptsOn(LocalGuest local) {
    SessionLayout layout = new SessionLayout(local.root.toString(), local.bootId.toString());
    return new GuestScripts() {
      @Override
      public SessionLayout layout(SessionGuest vm) {
        return layout;
      }

      @Override
      public int run(
          SessionGuest vm,
          String script,
          InputStream stdin,
          OutputStream stdout,
          OutputStream stderr,
          Cancellation cancel)
          throws IOException, InterruptedException {
        LocalGuest.Result result;
        try {
          result = local.run(LocalGuest.describe(script), script, stdin.readAllBytes());
        } catch (IOException | InterruptedException | RuntimeException e) {
          throw e;
        } catch (Exception e) {
          throw new IOException(e);
        }
        stdout.write(result.stdout());
        stderr.write(result.stderr().getBytes(StandardCharsets.UTF_8));
        return result.exit();
      }
    };
  }
}
