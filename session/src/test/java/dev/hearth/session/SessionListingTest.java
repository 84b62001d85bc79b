package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.ShellQuote;
import dev.hearth.core.testing.HostileWords;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SessionListingTest {
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

  @Test
  void metadataOfHostileValuesParsesBackExactly() {
    List<String> argv = List.of(HostileWords.ALL[8], "a\nb", "é 漢 🙂", "$(id)");
    SessionSpec spec =
        new SessionSpec(
            "0123456789",
            Optional.of("web-1"),
            argv,
            Optional.of("/srv/it's here\n"),
            Map.of("K", "v=1 'x'\n"),
            T0);
    String output =
        "boot abc\nsession 0123456789\n"
            + SessionScripts.metadata(spec)
                .lines()
                .map(l -> "m " + l + "\n")
                .reduce("", String::concat)
            + "m future-key whatever\nfuture-key whatever\nstate exited\nexit 3\nend\n";

    SessionInfo info = SessionListing.parse(output).sessions().get(0);
    assertThat(info.argv()).isEqualTo(argv);
    assertThat(info.cwd()).contains("/srv/it's here\n");
    assertThat(info.env()).containsExactly(Map.entry("K", "v=1 'x'\n"));
    assertThat(info.name()).contains("web-1");
    assertThat(info.startedAt()).isEqualTo(T0);
    assertThat(info.exitCode()).hasValue(3);
    assertThat(info.commandLine()).isEqualTo(ShellQuote.readable(argv));
  }

  @Test
  void anExitCodeCountsOnlyForAnExitedSessionAndSessionsComeOldestFirst() {
    String output =
        "boot b\n"
            + "session aaaaaaaaaa\nm arg eA==\nm started 2000\nstate running\nexit 5\nend\n"
            + "session bbbbbbbbbb\nm arg eQ==\nm started 1000\nstate lost\nend\n";
    List<SessionInfo> sessions = SessionListing.parse(output).sessions();
    assertThat(sessions).extracting(SessionInfo::id).containsExactly("bbbbbbbbbb", "aaaaaaaaaa");
    assertThat(sessions.get(1).exitCode()).isEmpty();
    assertThat(sessions.get(0).state()).isEqualTo(SessionState.LOST);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "session aaaaaaaaaa\nm arg eA==\nm started 1\nstate running\n",
        "session ../etc\nend\n",
        "end\n",
        "session aaaaaaaaaa\nsession bbbbbbbbbb\n"
      })
  void aListingWhoseFramingIsBrokenIsRefusedNamingTheLine(String output) {
    assertThatThrownBy(() -> SessionListing.parse(output))
        .isInstanceOf(SessionOutputException.class)
        .hasMessageContaining("session");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "m arg !!\nm started 1\nstate running\n",
        "m arg eA==\nm started soon\nstate running\n",
        "m arg eA==\nm started 99999999999999999999\nstate running\n",
        "m arg eA==\nm started 1\nstate dancing\n",
        "m arg eA==\nm started 1\nstate exited\nexit unreadable\n",
        "m started 1\nstate running\n",
        "broken meta-too-large 262144\nstate running\n",
        // Names that start refuses: "Bad", and ESC ] 52 ... BEL ESC [ 2 J.
        "m name QmFk\nm arg eA==\nm started 1\nstate running\n",
        "m name G101MjtjO2VBPT0HG1sySg==\nm arg eA==\nm started 1\nstate running\n"
      })
  void aRecordThatDoesNotParseIsReportedBrokenAndHidesNoOther(String record) {
    String good = "session bbbbbbbbbb\nm arg eA==\nm started 1\nstate running\nend\n";
    SessionListing.Listing listing =
        SessionListing.parse("boot b\nsession aaaaaaaaaa\n" + record + "end\n" + good);

    assertThat(listing.sessions()).extracting(SessionInfo::id).containsExactly("bbbbbbbbbb");
    assertThat(listing.broken())
        .extracting(SessionListing.Broken::id)
        .containsExactly("aaaaaaaaaa");
    assertThat(listing.broken().get(0).reason()).isNotBlank().doesNotContain("\u001b", "\u0007");
  }

  @Test
  void waitAndStartOutputs() {
    assertThat(SessionListing.parseWait("exited 0\n")).isEqualTo(OptionalInt.of(0));
    assertThat(SessionListing.parseWait("exited 143\n")).isEqualTo(OptionalInt.of(143));
    assertThat(SessionListing.parseWait("lost\n")).isEmpty();
    assertThatThrownBy(() -> SessionListing.parseWait("exited x"))
        .isInstanceOf(SessionOutputException.class)
        .hasMessageContaining("'exited x'");
    assertThat(SessionListing.parseStarted("0123456789", "0123456789\n")).isEqualTo("0123456789");
    assertThatThrownBy(() -> SessionListing.parseStarted("0123456789", "oops\n"))
        .isInstanceOf(SessionOutputException.class)
        .hasMessage(
            "the start script of session 0123456789 printed 'oops' instead of the session id");
  }

  @Test
  void aFailureWithoutARefusalLineNamesTheExitCodeAndStderr() {
    SessionStepException e =
        FormatStepError.of("kill", "'web' (0123456789)", "demo", 127, "sh: setsid: not found\n");
    assertThat(e.kind()).isEqualTo(StepErrorKind.OTHER);
    assertThat(e.getMessage())
        .isEqualTo(
            "session kill of 'web' (0123456789) in VM demo failed: the guest script exited 127:"
                + " sh: setsid: not found");
    assertThat(FormatStepError.of("x", "s", "v", 3, "noise\nhearth-error: weird \u001b[31m\n"))
        .hasMessage("session x of s in VM v failed: the guest script reported 'weird \\x1b[31m'");
  }

  @Test
  void invalidRequestsAreRefusedNamingTheValue() {
    assertThatThrownBy(
            () ->
                spec(
                    "0123456789",
                    Optional.of("Bad Name"),
                    List.of("x"),
                    Optional.empty(),
                    Map.of()))
        .isInstanceOf(InvalidSessionRequestException.class)
        .hasMessageStartingWith("invalid session name 'Bad Name'");
    assertThatThrownBy(
            () -> spec("0123456789", Optional.of("a\nb"), List.of("x"), Optional.empty(), Map.of()))
        .hasMessageStartingWith("invalid session name 'a\\x0ab'");
    assertThatThrownBy(
            () -> spec("../x", Optional.empty(), List.of("x"), Optional.empty(), Map.of()))
        .hasMessageStartingWith("invalid session id '../x'");
    assertThatThrownBy(
            () -> spec("0123456789", Optional.empty(), List.of(), Optional.empty(), Map.of()))
        .hasMessage("a session needs a command");
    assertThatThrownBy(
            () -> spec("0123456789", Optional.empty(), List.of("a\0b"), Optional.empty(), Map.of()))
        .hasMessageContaining("NUL");
    assertThatThrownBy(
            () ->
                spec(
                    "0123456789", Optional.empty(), List.of("x"), Optional.of("rel/dir"), Map.of()))
        .hasMessage("the working folder must be an absolute guest path; got 'rel/dir'");
    assertThatThrownBy(
            () ->
                spec(
                    "0123456789",
                    Optional.empty(),
                    List.of("x"),
                    Optional.empty(),
                    Map.of("A-B", "1")))
        .hasMessageStartingWith("invalid environment variable name 'A-B'");
    assertThat(SessionSignal.parse("sigkill")).isEqualTo("KILL");
    assertThat(SessionSignal.parse("Term")).isEqualTo("TERM");
    assertThatThrownBy(() -> SessionSignal.parse("9")).hasMessageStartingWith("unknown signal '9'");
    assertThatThrownBy(() -> new SessionLayout("relative", "/proc/x"))
        .hasMessageContaining("absolute");
  }

  private static SessionSpec spec(
      String id,
      Optional<String> name,
      List<String> argv,
      Optional<String> cwd,
      Map<String, String> env) {
    return new SessionSpec(id, name, argv, cwd, env, T0);
  }
}
