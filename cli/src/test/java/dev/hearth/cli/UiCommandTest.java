package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hearth ui}: the URL file beside the socket, its refusals, and --open's browser. */
class UiCommandTest {
  private static final String URL = "http://127.0.0.1:7777/login?token=" + "ab".repeat(32);

  @TempDir Path dir;
  private final FakeHearth hearth = new FakeHearth();
  private final List<Path> opened = new ArrayList<>();
  private Optional<String> browserAnswer = Optional.empty();

  private CliRun.Result run(String... args) {
    Environment env =
        new Environment(Map.of("XDG_RUNTIME_DIR", dir.resolve("xdg").toString()), false)
            .withHearths(hearth)
            .withBrowser(
                page -> {
                  opened.add(page);
                  return browserAnswer;
                });
    List<String> all = new ArrayList<>(List.of("--socket", dir.resolve("hearth.sock").toString()));
    all.addAll(List.of(args));
    return CliRun.run(env, all.toArray(String[]::new));
  }

  @Test
  void printsTheUrlTheDaemonWroteBesideItsSocket() throws Exception {
    Files.writeString(dir.resolve("web.url"), URL + "\n");
    CliRun.Result r = run("ui");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(URL + "\n");
    assertThat(Samples.node(run("--json", "ui").out()).path("url").asText()).isEqualTo(URL);
    assertThat(opened).isEmpty();
  }

  @Test
  void openHandsTheBrowserAPrivatePageThatLeadsToTheUrl() throws Exception {
    Files.createDirectories(dir.resolve("xdg"));
    Files.writeString(dir.resolve("web.url"), URL + "\n");
    CliRun.Result r = run("ui", "--open");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(URL + "\n");
    assertThat(opened).containsExactly(dir.resolve("xdg/hearth-ui.html"));
    Path page = opened.get(0);
    assertThat(Files.readString(page)).contains("content=\"0; url=" + URL + "\"");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(page)))
        .isEqualTo("rw-------");
  }

  @Test
  void withoutABrowserOpenSaysSoAndStillPrintsTheUrl() throws Exception {
    Files.createDirectories(dir.resolve("xdg"));
    Files.writeString(dir.resolve("web.url"), URL + "\n");
    browserAnswer = Optional.of("no browser to open it with here");
    CliRun.Result r = run("ui", "--open");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).isEqualTo(URL + "\n");
    assertThat(r.err())
        .isEqualTo("hearth: cannot open a browser: no browser to open it with here\n");
  }

  @Test
  void aDaemonWithoutTheWebUiIsNamed() {
    CliRun.Result r = run("ui");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo(
            "hearth: the daemon at "
                + dir.resolve("hearth.sock")
                + " serves no web UI: web_listen_addr is \"\", or its address could not be bound"
                + " (the daemon's log says why)\n");
    assertThat(hearth.callOf("daemon.ping")).isNotNull();
  }

  @Test
  void noDaemonIsTheUsualLine() {
    Environment env = new Environment(Map.of(), false);
    CliRun.Result r = CliRun.run(env, "--socket", dir.resolve("hearth.sock").toString(), "ui");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).startsWith("hearth: no daemon is running at " + dir.resolve("hearth.sock"));
  }
}
