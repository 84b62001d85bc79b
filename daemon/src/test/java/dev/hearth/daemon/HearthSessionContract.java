package dev.hearth.daemon;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.RequiresBinary;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The typed API's contract for guest sessions, run against both implementations ({@link
 * HearthSessionInProcessTest}, {@link HearthSessionSocketTest}); the guest is the local /bin/sh
 * against a folder per VM ({@link LocalSessionGuest}), so the real session scripts run.
 */
@RequiresBinary({"sh", "setsid", "mkfifo"})
abstract class HearthSessionContract extends HearthContractBase {
  private LocalSessionGuest guest;

  /** The fixture's seams with the local session guest. */
  Daemon.Seams seams(VmFixture fixture) {
    guest = new LocalSessionGuest(fixture.dir.resolve("guests"));
    return fixture.seams().withGuestScripts(guest).withVmHook(guest);
  }

  @AfterEach
  void closeGuest() throws Exception {
    if (guest != null) {
      guest.close();
    }
  }

  private Sessions sessions() {
    return hearth.sessions();
  }

  private static SessionStart sh(String name, String script) {
    return new SessionStart(
        "demo", Optional.of(name), List.of("sh", "-c", script), Optional.empty(), Map.of());
  }

  @Test
  void startListWriteAwaitLogs() throws Exception {
    createAndAwait("demo");
    SessionStarted started = sessions().start(sh("reader", "read a; echo \"got $a\"; exit 3"));
    assertThat(started.name()).contains("reader");
    assertThat(started.id()).matches("[0-9a-f]{10}");

    SessionList listed = sessions().list(Optional.of("demo"));
    assertThat(listed.failures()).isEmpty();
    assertThat(listed.sessions())
        .singleElement()
        .satisfies(
            l -> {
              assertThat(l.vm()).isEqualTo("demo");
              assertThat(l.session().id()).isEqualTo(started.id());
              assertThat(l.session().state()).isEqualTo(SessionState.RUNNING);
              assertThat(l.session().exitCode()).isEmpty();
              assertThat(l.session().argv())
                  .containsExactly("sh", "-c", "read a; echo \"got $a\"; exit 3");
            });

    assertThat(sessions().write("demo", "reader", "hi\n".getBytes(UTF_8), false)).isEqualTo(3);
    assertThat(sessions().await("demo", "reader"))
        .isEqualTo(new SessionEnd(SessionState.EXITED, OptionalInt.of(3)));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SessionOutput end =
        sessions().logs("demo", started.id(), 0, false, (fd, b) -> out.writeBytes(b));
    assertThat(out.toString(UTF_8)).isEqualTo("got hi\n");
    assertThat(end.nextOffset()).isEqualTo(7);
    assertThat(end.session().state()).isEqualTo(SessionState.EXITED);
    assertThat(end.session().exitCode()).hasValue(3);

    ByteArrayOutputStream rest = new ByteArrayOutputStream();
    sessions().logs("demo", "reader", 4, true, (fd, b) -> rest.writeBytes(b));
    assertThat(rest.toString(UTF_8)).isEqualTo("hi\n");
    assertThat(sessions().list(Optional.empty()).sessions())
        .extracting(SessionList.Listed::vm)
        .containsExactly("demo");
  }

  @Test
  void attachFollowsTheOutputAndForwardsInput() throws Exception {
    createAndAwait("demo");
    sessions().start(sh("echo", "echo ready; read a; echo \"typed $a\"; exit 5"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (SessionAttachment attached =
        sessions()
            .attach(
                "demo",
                "echo",
                0,
                (fd, b) -> {
                  synchronized (out) {
                    out.writeBytes(b);
                  }
                })) {
      attached.write("x\n".getBytes(UTF_8));
      Optional<SessionOutput> end = attached.awaitEnd();
      assertThat(end)
          .hasValueSatisfying(
              e -> {
                assertThat(e.session().state()).isEqualTo(SessionState.EXITED);
                assertThat(e.session().exitCode()).hasValue(5);
              });
    }
    synchronized (out) {
      assertThat(out.toString(UTF_8)).isEqualTo("ready\ntyped x\n");
    }
  }

  @Test
  void killSignalsTheSession() throws Exception {
    createAndAwait("demo");
    sessions().start(sh("sleeper", "exec sleep 1000"));
    assertThat(sessions().kill("demo", "sleeper", Optional.empty())).isEqualTo("TERM");
    assertThat(sessions().await("demo", "sleeper"))
        .isEqualTo(new SessionEnd(SessionState.EXITED, OptionalInt.of(143)));
  }

  @Test
  void sessionErrors() throws Exception {
    assertKind(
        catchThrowable(
            () ->
                new SessionStart("demo", Optional.empty(), List.of(), Optional.empty(), Map.of())),
        HearthException.Kind.INVALID,
        "param 'argv' of session.start: must be a non-empty array of strings");
    hearth.vms().create(VmSpec.of("idle", VmFixture.IMAGE).withNoStart(true)).operation().await();
    assertKind(
        catchThrowable(() -> sessions().start(SessionStart.of("idle", "true"))),
        HearthException.Kind.PRECONDITION_FAILED,
        "idle");
    assertKind(
        catchThrowable(() -> sessions().list(Optional.of("nope"))),
        HearthException.Kind.NOT_FOUND,
        "no VM named 'nope'");
    createAndAwait("demo");
    sessions().start(sh("taken", "exec sleep 1000"));
    assertKind(
        catchThrowable(() -> sessions().start(sh("taken", "true"))),
        HearthException.Kind.CONFLICT,
        "taken");
    assertKind(
        catchThrowable(() -> sessions().write("demo", "nope", new byte[] {1}, false)),
        HearthException.Kind.NOT_FOUND,
        "nope");
    assertKind(
        catchThrowable(() -> sessions().write("demo", "taken", new byte[0], false)),
        HearthException.Kind.INVALID,
        "session.write needs 'data' (base64), 'eof', or both");
    assertKind(
        catchThrowable(() -> sessions().logs("demo", "taken", -1, false, (fd, b) -> {})),
        HearthException.Kind.INVALID,
        "param 'from' of session.logs must be 0 to 9223372036854775807; got -1");
    assertKind(
        catchThrowable(() -> sessions().kill("demo", "taken", Optional.of("NOPE"))),
        HearthException.Kind.INVALID,
        "NOPE");
    sessions().kill("demo", "taken", Optional.of("KILL"));
  }
}
