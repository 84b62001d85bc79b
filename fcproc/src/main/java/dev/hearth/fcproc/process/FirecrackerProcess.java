package dev.hearth.fcproc.process;

import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.fcproc.FcprocException;
import dev.hearth.fcproc.client.FirecrackerClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One firecracker process, spawned by {@link FirecrackerLauncher#spawn} or adopted after a daemon
 * restart. Its identity is (pid, start time), so it is never confused with a later process that got
 * the same pid.
 */
public final class FirecrackerProcess {
  private static final Logger log = LoggerFactory.getLogger(FirecrackerProcess.class);

  /** How long a SIGKILLed process may take to disappear before that is an error. */
  static final Duration KILL_WAIT = Duration.ofSeconds(10);

  private final ProcessIdentity identity;
  private final Path apiSocket;
  private final FirecrackerClient client;
  private final ProcessTable processTable;
  private final Posix posix;
  private final Clock clock;
  private final Process child;

  FirecrackerProcess(
      ProcessIdentity identity,
      Path apiSocket,
      FirecrackerClient client,
      ProcessTable processTable,
      Posix posix,
      Clock clock,
      Process child) {
    this.identity = identity;
    this.apiSocket = apiSocket;
    this.client = client;
    this.processTable = processTable;
    this.posix = posix;
    this.clock = clock;
    this.child = child;
  }

  public ProcessIdentity identity() {
    return identity;
  }

  public Path apiSocket() {
    return apiSocket;
  }

  /** The API client on this process's socket. */
  public FirecrackerClient client() {
    return client;
  }

  public boolean isAlive() {
    return identity.isAlive(processTable);
  }

  /**
   * The exit code, when this process was spawned by this JVM and has exited; a process adopted
   * after a restart is not our child and its exit code is not ours to read.
   */
  public OptionalInt exitCode() {
    return Optional.ofNullable(child)
        .filter(p -> !p.isAlive())
        .map(p -> OptionalInt.of(p.exitValue()))
        .orElse(OptionalInt.empty());
  }

  /** Waits for the process to exit; true when it has. */
  public boolean waitForExit(Duration timeout) throws InterruptedException {
    if (child != null) {
      // Our own child: wait on it, which also collects its exit code.
      return child.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    long deadline = clock.nanoTime() + timeout.toNanos();
    while (isAlive()) {
      if (clock.nanoTime() - deadline >= 0) {
        return false;
      }
      clock.sleep(FirecrackerLauncher.POLL_INTERVAL);
    }
    return true;
  }

  /**
   * Stops the VM: asks the guest to shut down ({@code SendCtrlAltDel}), waits up to {@code
   * gracePeriod}, then SIGKILLs it. Afterwards the process is gone and its API socket removed.
   *
   * @return true when the guest went down by itself, false when it had to be killed
   */
  public boolean stop(Duration gracePeriod) throws InterruptedException {
    if (!isAlive()) {
      removeSocket();
      return true;
    }
    try {
      client.sendCtrlAltDel();
    } catch (FcprocException e) {
      log.info("pid {}: SendCtrlAltDel failed ({}); killing it", identity.pid(), e.getMessage());
      kill();
      return false;
    }
    if (waitForExit(gracePeriod)) {
      removeSocket();
      return true;
    }
    log.info(
        "pid {} still runs {} ms after SendCtrlAltDel; killing it",
        identity.pid(),
        gracePeriod.toMillis());
    kill();
    return false;
  }

  /**
   * SIGKILLs the process (only if it is still this very process), waits for it and the rest of its
   * session to go and removes its API socket.
   *
   * @throws FcprocException when it, or a process of its session, is still there after {@link
   *     #KILL_WAIT}
   */
  public void kill() throws InterruptedException {
    if (isAlive()) {
      posix.kill(identity.pid(), Posix.Signal.SIGKILL);
    }
    if (!waitForExit(KILL_WAIT)) {
      throw new FcprocException(
          "firecracker pid "
              + identity.pid()
              + " still runs "
              + KILL_WAIT.toSeconds()
              + " s after SIGKILL");
    }
    endSession();
    removeSocket();
  }

  /**
   * Ends what else runs in the VM's session ({@link VmmSessions}): the console capper drains the
   * pipe and ends by itself once the VMM is gone, so it gets {@link
   * FirecrackerLauncher#CAPPER_DRAIN} to do so; whatever still runs then is killed, so that nothing
   * of a killed VM outlives it.
   */
  private void endSession() throws InterruptedException {
    int session = identity.pid();
    if (!VmmSessions.ended(processTable, clock, session, FirecrackerLauncher.CAPPER_DRAIN)) {
      VmmSessions.kill(processTable, posix, clock, session, "firecracker pid " + session);
    }
  }

  /** Kill on a failure path: the original error matters more than a failure to clean up. */
  void killQuietly() {
    try {
      kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("cannot kill firecracker pid {}: {}", identity.pid(), e.getMessage());
    }
  }

  private void removeSocket() {
    try {
      Files.deleteIfExists(apiSocket);
    } catch (IOException e) {
      throw new FcprocException(
          "cannot remove the API socket " + apiSocket + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "firecracker pid " + identity.pid() + " on " + apiSocket;
  }
}
