package dev.hearth.daemon;

import dev.hearth.core.testing.Await;
import dev.hearth.daemon.internal.api.HearthClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A test daemon in a JVM of its own ({@link VmTestDaemonMain} on {@code dir}), so that a test can
 * SIGKILL it for real and start the next one on the same state; its output goes to {@code
 * dir/daemon.log}, every run appended.
 */
final class ChildDaemon implements AutoCloseable {
  private final Path dir;
  private final Process process;
  private final HearthClient client;

  private ChildDaemon(Path dir, Process process, HearthClient client) {
    this.dir = dir;
    this.process = process;
    this.client = client;
  }

  /** Starts it and waits until it answers on {@code socket}. */
  static ChildDaemon start(Path dir, Path socket) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process =
        new ProcessBuilder(
                java.toString(),
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                VmTestDaemonMain.class.getName(),
                dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("daemon.log").toFile()))
            .start();
    HearthClient client =
        Await.value(
            "the test daemon to answer on " + socket,
            () -> {
              if (!process.isAlive()) {
                throw new AssertionError(
                    "the test daemon exited with "
                        + process.exitValue()
                        + ": "
                        + Files.readString(dir.resolve("daemon.log")));
              }
              try {
                return Optional.of(HearthClient.connect(socket));
              } catch (DaemonUnavailableException e) {
                return Optional.empty();
              }
            });
    return new ChildDaemon(dir, process, client);
  }

  HearthClient client() {
    return client;
  }

  /** Whether it still runs; throws with its exit code when it ended on its own. */
  boolean alive() {
    if (!process.isAlive()) {
      throw new AssertionError(
          "the test daemon exited with " + process.exitValue() + " (see " + dir + "/daemon.log)");
    }
    return true;
  }

  /** SIGKILL, and waits until it is gone. */
  void kill() throws InterruptedException {
    client.close();
    Await.exit(process.destroyForcibly(), Await.DEFAULT, "the SIGKILLed test daemon");
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
