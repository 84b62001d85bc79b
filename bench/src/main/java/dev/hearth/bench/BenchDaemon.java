package dev.hearth.bench;

import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.Vm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starting and stopping a bench's daemon. */
final class BenchDaemon {
  /** How long a daemon may take to make its socket: a loaded machine and a cold JVM included. */
  private static final long SOCKET_DEADLINE_SECONDS = 60;

  private BenchDaemon() {}

  /** The socket of the daemon {@link #startPlain} starts in {@code scratch}. */
  static Path plainSocket(Path scratch) {
    return scratch.resolve("run/hearth.sock");
  }

  /**
   * {@code argv} run by {@code setsid}, in a session of its own: a Ctrl-C at the terminal of a
   * bench run directly (not through bench/run) reaches the bench's JVM, whose teardown then deletes
   * the VMs through the daemon before it stops it; in the terminal's process group the daemon would
   * have stopped first. setsid execs (a child of the JVM leads no process group), so the pid stays
   * the daemon's.
   */
  static List<String> inOwnSession(List<String> argv) {
    List<String> command = new ArrayList<>();
    command.add("setsid");
    command.addAll(argv);
    return command;
  }

  /**
   * Starts {@code bin/hearth daemon} of {@code dist} with no config, its state and runtime folders
   * in {@code scratch} and its output in {@code daemon.log} there, under {@code teardown}; waits
   * for its socket ({@link #plainSocket}). Used by the benches that need no VM.
   */
  static Process startPlain(Teardown teardown, Path dist, Path scratch) throws Exception {
    Path state = Files.createDirectories(scratch.resolve("state"));
    Path runtime = Files.createDirectories(plainSocket(scratch).getParent());
    Path log = scratch.resolve("daemon.log");
    ProcessBuilder command =
        new ProcessBuilder(
                inOwnSession(
                    List.of(
                        dist.resolve("bin/hearth").toString(),
                        "daemon",
                        "--state-dir",
                        state.toString(),
                        "--runtime-dir",
                        runtime.toString(),
                        "--log-level",
                        "warn")))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Process daemon =
        teardown.start(
            command::start,
            process -> {
              process.destroy();
              process.waitFor(20, TimeUnit.SECONDS);
            });
    awaitSocket(daemon, plainSocket(scratch), log);
    return daemon;
  }

  /**
   * Waits until {@code daemon} has made {@code socket}.
   *
   * @throws IllegalStateException when the daemon exits first, or after a minute, naming its log
   */
  static void awaitSocket(Process daemon, Path socket, Path log)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SOCKET_DEADLINE_SECONDS);
    while (!Files.exists(socket)) {
      if (!daemon.isAlive()) {
        throw new IllegalStateException(
            "the daemon exited with "
                + daemon.exitValue()
                + "; the end of "
                + log
                + ":\n"
                + tail(log));
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            "the daemon made no socket at "
                + socket
                + " in "
                + SOCKET_DEADLINE_SECONDS
                + " s; see "
                + log);
      }
      Thread.sleep(100);
    }
  }

  /** The last lines of a daemon's log (a boot bench's log holds several daemons' runs). */
  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }

  /**
   * Force-deletes every VM the daemon has, then stops it: its VMs would outlive it. On a connection
   * of its own, since on a stop the main thread may still be using its client.
   */
  static void stop(Process daemon, Path socket) throws InterruptedException {
    try (Hearth hearth = Hearth.connect(socket)) {
      for (Vm vm : hearth.vms().list()) {
        try {
          hearth.vms().delete(vm.name(), true);
        } catch (RuntimeException e) {
          // One still being created cannot be deleted: the daemon's stop cancels its create, which
          // undoes it. The others are still deleted.
          System.out.println("could not delete the VM " + vm.name() + ": " + e.getMessage());
        }
      }
    } catch (RuntimeException e) {
      // Printed, not thrown: the daemon must still be stopped, and it would hide why the bench
      // ended (e.g. a daemon gone).
      System.out.println("could not delete the bench's VMs through the daemon: " + e.getMessage());
    }
    daemon.destroy();
    if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
      daemon.destroyForcibly();
    }
  }
}
