package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.ConfigKey;
import dev.hearth.core.rpc.RpcClient;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.daemon.internal.api.HearthClient;
import dev.hearth.session.GuestTarget;
import dev.hearth.session.SessionLayout;
import dev.hearth.session.testing.HangingGuest;
import dev.hearth.session.testing.TestSshd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deadlines and cancellation of guest calls through a real daemon socket, with a real OpenSSH sshd
 * on 127.0.0.1 standing in for the guest of VM {@code demo} ({@link HangingGuest}: its session list
 * script hangs, and {@code vm.exec} of its sleep hangs about 1,000 s).
 *
 * <p>Bounds: a cancelled call ends at once (the daemon closes its SSH session without waiting on
 * the guest); the tests allow 10 s so that a loaded 2-core host does not fail them, far below the
 * 1,000 s hang. The daemon's close is allowed 60 s against a shutdown_grace of 10 minutes: a close
 * that waited on the guest would take the whole grace.
 */
@RequiresRoot
@RequiresBinary({"sshd", "ssh-keygen", "unshare"})
class GuestCallCancelHostTest {
  private static final Duration ENDS_AT_ONCE = Duration.ofSeconds(10);

  @TempDir Path dir;
  private VmFixture fx;
  private TestSshd sshd;
  private HangingGuest guest;

  @BeforeEach
  void start() throws Exception {
    guest = HangingGuest.in(dir);
    Path daemonDir = dir.resolve("daemon");
    fx =
        new VmFixture(
            daemonDir,
            VmFixture.config(daemonDir)
                .with(ConfigKey.GUEST_CALL_TIMEOUT, "5s")
                .with(ConfigKey.SHUTDOWN_GRACE, "10m"));
    int port = TestSshd.freePort();
    fx.start(
        fx.seams()
            .withGuestRoute(vm -> new GuestTarget(vm.name(), "127.0.0.1", port))
            .withSessionLayout(
                new SessionLayout(
                    dir.resolve("guest/sessions").toString(), "/proc/sys/kernel/random/boot_id")));
    sshd =
        TestSshd.start(
            dir.resolve("sshd"),
            port,
            Files.readString(fx.layout.sshPublicKey()).trim(),
            List.of(guest.forceCommand()));
    sshd.awaitListening();
    assertThat(fx.createAndWait("demo", "").path("state").asText()).isEqualTo("succeeded");
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (fx != null) {
        fx.close();
      }
      if (sshd != null) {
        sshd.close();
      }
    } finally {
      guest.killSleeps();
    }
  }

  /** An exec of the guest's sleep on a client of its own; its future holds what it threw. */
  private Future<Throwable> hangingExec() throws Exception {
    Future<Throwable> exec =
        Await.async(
            "vm.exec of sleep",
            () -> {
              try (HearthClient client = HearthClient.connect(fx.layout.socket())) {
                RpcClient.Stream stream =
                    client.openStream(
                        "vm.exec",
                        "{\"vm\": \"demo\", \"argv\": [\"sleep\", \""
                            + guest.sleepArgument()
                            + "\"]}",
                        (fd, data) -> {});
                stream.closeInput();
                return new AssertionError("the exec returned " + Rpc.result(stream, "vm.exec"));
              } catch (RuntimeException e) {
                return e;
              }
            });
    guest.awaitSleeping("the exec");
    return exec;
  }

  @Test
  void aHangingSessionListEndsAtItsDeadlineWithAnErrorNamingTheKey() throws Exception {
    Future<Throwable> list =
        Await.async(
            "session.list",
            () -> {
              try {
                return new AssertionError(
                    "the list returned " + fx.call("session.list", "{\"vm\": \"demo\"}"));
              } catch (RuntimeException e) {
                return e;
              }
            });

    Throwable e = Await.result(list, Duration.ofMinutes(2), "session.list to end at its deadline");

    assertThat(e)
        .isInstanceOf(HearthException.class)
        .hasMessageContaining(
            "the session list script in VM demo did not end within its deadline of 5s"
                + " (guest_call_timeout)");
    assertThat(guest.hangsBegun())
        .as("hanging lists begun in the guest (the background rediscovery at start is another)")
        .isPositive();
    Await.until("the hung list's sleep in the guest to be ended", () -> guest.sleeps().isEmpty());
  }

  @Test
  void deletingTheVmEndsItsRunningExecWithin10Seconds() throws Exception {
    Future<Throwable> exec = hangingExec();

    fx.call("vm.delete", "{\"vm\": \"demo\", \"force\": true}");

    Throwable e = Await.result(exec, ENDS_AT_ONCE, "the exec to end once its VM was deleted");
    assertThat(e).hasMessageContaining("VM demo was deleted while a command was running");
  }

  @Test
  void stoppingTheVmEndsItsRunningExecWithin10Seconds() throws Exception {
    Future<Throwable> exec = hangingExec();

    fx.call("vm.stop", "{\"vm\": \"demo\"}");

    Throwable e = Await.result(exec, ENDS_AT_ONCE, "the exec to end once its VM was stopped");
    assertThat(e).hasMessageContaining("VM demo was stopped while a command was running");
  }

  @Test
  void closingTheDaemonDoesNotWaitOnAGuest() throws Exception {
    Future<Throwable> exec = hangingExec();

    Future<Void> closing =
        Await.async(
            "daemon close",
            () -> {
              fx.stopDaemon();
              return null;
            });

    Await.result(
        closing,
        Duration.ofSeconds(60),
        "the daemon to close while an exec hangs (within 60 s; its shutdown_grace is 10 min)");
    Throwable e = Await.result(exec, ENDS_AT_ONCE, "the exec to end with the daemon");
    assertThat(e).isInstanceOf(RuntimeException.class);
  }
}
