package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.Await;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The daemon the web UI's browser tests look at: {@code dev.hearth.daemon.WebUiTestDaemonMain} (the
 * fake firecracker, its web UI on a free port) in a JVM of its own, from the daemon module's test
 * class path, in {@code dir}. A create holds at a stage point while {@code dir/hold/<point>}
 * exists. Closing it stops the daemon (SIGTERM), which kills its fake VMs.
 */
final class WebUiTestDaemon implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(60);

  /** The daemon module's test class path, written by its build. */
  private static final Path DAEMON = Path.of("..", "daemon", "target").toAbsolutePath().normalize();

  private final Path dir;
  private final Process process;

  private WebUiTestDaemon(Path dir, Process process) {
    this.dir = dir;
    this.process = process;
  }

  /** Starts it in {@code dir}, holding creates at {@code holds}; returns once it serves. */
  static WebUiTestDaemon start(Path dir, String... holds) throws Exception {
    Files.createDirectories(dir.resolve("hold"));
    for (String point : holds) {
      Files.writeString(dir.resolve("hold").resolve(point), "hold\n");
    }
    Path classpathFile = DAEMON.resolve("web-ui-test-classpath.txt");
    assertThat(classpathFile)
        .as("the daemon module's test class path (built by ./mvnw -pl cli -am)")
        .exists();
    String classpath =
        String.join(
            File.pathSeparator,
            DAEMON.resolve("test-classes").toString(),
            DAEMON.resolve("classes").toString(),
            Files.readString(classpathFile).strip());
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classpath,
                "dev.hearth.daemon.WebUiTestDaemonMain",
                dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("daemon.log").toFile())
            .start();
    Await.until(
        WAIT,
        "the test daemon to be ready (its log: " + dir.resolve("daemon.log") + ")",
        () -> {
          assertThat(process.isAlive()).as("the test daemon exited early").isTrue();
          return Files.exists(dir.resolve("ready"));
        });
    return new WebUiTestDaemon(dir, process);
  }

  /** Runs a CLI command against it. */
  CliRun.Result cli(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--socket";
    all[1] = dir.resolve("run").resolve("hearth.sock").toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return CliRun.run(new Environment(Map.of(), false), all);
  }

  /** The URL with the token that {@code hearth ui} prints. */
  String uiUrl() {
    CliRun.Result ui = cli("ui");
    assertThat(ui.exitCode()).as(ui.err()).isZero();
    return ui.out().strip();
  }

  void awaitHeld(String point) throws Exception {
    Await.until(
        WAIT,
        "a create to hold at " + point,
        () -> Files.exists(dir.resolve("held").resolve(point)));
  }

  void release(String point) throws Exception {
    Files.delete(dir.resolve("hold").resolve(point));
  }

  @Override
  public void close() throws Exception {
    process.destroy(); // SIGTERM: the daemon stops and kills its fake VMs
    Await.exit(process, WAIT, "the web UI test daemon to stop");
  }
}
