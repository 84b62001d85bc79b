package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.Await;
import dev.hearth.daemon.DaemonUnavailableException;
import dev.hearth.daemon.Hearth;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code hearth daemon} as a process: signals, exit codes, clean-up, the single-daemon lock. */
class DaemonProcessTest {
  /** Generous bounds for a loaded machine; they only stop a hung test, they assert nothing. */
  private static final long START_WAIT_MS = 60_000;

  private static final Duration STOP_WAIT = Duration.ofSeconds(60);

  private Path dir;
  private Path config;
  private final List<Process> started = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    dir = TempDirs.create();
    config = dir.resolve("config.toml");
    // No socket group: the test machine need not have a "hearth" group. Nor a web UI or host DNS
    // port: test daemons run side by side. Host network names of its own: at start a daemon
    // deletes or pools every TAP of its prefix that none of its VMs uses, and the host may run
    // a hearth daemon with VMs.
    String own = HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
    Files.writeString(
        config,
        String.join(
            "\n",
            "socket_group = \"\"",
            "web_listen_addr = \"\"",
            "dns_host_listen = \"\"",
            "bridge_name = \"hdp" + own + "\"",
            "tap_prefix = \"hdp" + own + "t\"",
            "network_tag = \"hearth_dp_" + own + "\"",
            ""));
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    for (Process p : started) {
      Await.exit(p.destroyForcibly(), STOP_WAIT, "a SIGKILLed test daemon");
    }
    TempDirs.delete(dir);
  }

  private Process startDaemon(String name, Path stateDir) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb =
        new ProcessBuilder(
            java.toString(),
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "daemon",
            "--config",
            config.toString(),
            "--state-dir",
            stateDir.toString(),
            "--runtime-dir",
            dir.resolve("run").toString());
    pb.redirectOutput(dir.resolve(name + ".out").toFile());
    pb.redirectError(dir.resolve(name + ".err").toFile());
    Process p = pb.start();
    started.add(p);
    return p;
  }

  private String stderr(String name) throws IOException {
    return Files.readString(dir.resolve(name + ".err"), StandardCharsets.UTF_8);
  }

  /** Waits until the daemon answers a ping; fails with its stderr if it exits first. */
  private void awaitServing(Process daemon, String name) throws Exception {
    Path socket = dir.resolve("run").resolve("hearth.sock");
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_WAIT_MS);
    while (true) {
      assertThat(daemon.isAlive()).as("daemon exited early: %s", stderr(name)).isTrue();
      try (Hearth client = Hearth.connect(socket)) {
        client.ping();
        return;
      } catch (DaemonUnavailableException notYet) {
        assertThat(System.nanoTime())
            .as("daemon did not start: %s", stderr(name))
            .isLessThan(deadline);
        Thread.sleep(100);
      }
    }
  }

  @Test
  void sigtermShutsDownGracefullyAndCleansUp() throws Exception {
    Process daemon = startDaemon("d", dir.resolve("state"));
    awaitServing(daemon, "d");
    Path run = dir.resolve("run");
    assertThat(run.resolve("hearth.sock")).exists();
    assertThat(run.resolve("hearth.pid")).exists();

    daemon.destroy(); // SIGTERM
    Await.exit(daemon, STOP_WAIT, "the daemon to exit after SIGTERM");
    // The shutdown hook closes the daemon; the JVM then exits with 128 + SIGTERM, as it does for
    // every signal-started shutdown (hearth.service has SuccessExitStatus=143).
    assertThat(daemon.exitValue()).as(stderr("d")).isEqualTo(143);
    assertThat(run.resolve("hearth.sock")).doesNotExist();
    assertThat(run.resolve("hearth.pid")).doesNotExist();
    assertThat(stderr("d")).doesNotContain("Exception");
  }

  @Test
  void aSecondDaemonOnTheSameRuntimeFolderExitsNamingTheFirst() throws Exception {
    Process first = startDaemon("first", dir.resolve("state1"));
    awaitServing(first, "first");

    Process second = startDaemon("second", dir.resolve("state2"));
    Await.exit(second, STOP_WAIT, "the second daemon to refuse to start");
    assertThat(second.exitValue()).isEqualTo(1);
    String err = stderr("second");
    assertThat(err.lines().filter(l -> l.startsWith("hearth: ")))
        .singleElement()
        .asString()
        .contains("already running")
        .contains(Long.toString(first.pid()));
    assertThat(err).doesNotContain("\tat ");
    assertThat(first.isAlive()).isTrue();
  }
}
