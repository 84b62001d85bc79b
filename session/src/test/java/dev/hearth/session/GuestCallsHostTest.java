package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Clock;
import dev.hearth.core.Layout;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.session.testing.HangingGuest;
import dev.hearth.session.testing.TestSshd;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deadlines and cancellation of guest calls against a real OpenSSH sshd on 127.0.0.1 whose session
 * list script hangs ({@link HangingGuest}): the list ends at its deadline, and a cancel of the VM's
 * calls ends a list or an exec at once, each with an error naming the VM and why.
 *
 * <p>Bounds: the hangs last about 1,000 s. Cancelling closes the SSH session without waiting on the
 * guest, so the call returns at once; the waits allow 10 s only so that a loaded 2-core host does
 * not fail them, which still tells a cancelled call from one left to hang.
 */
@RequiresRoot
@RequiresBinary({"sshd", "ssh-keygen", "unshare"})
class GuestCallsHostTest {
  private static final Duration ENDS_AT_ONCE = Duration.ofSeconds(10);

  @TempDir Path dir;
  private MinaGuestDialer dialer;
  private TestSshd sshd;
  private HangingGuest guest;
  private GuestExec exec;
  private SessionGuest vm;

  @BeforeEach
  void start() throws Exception {
    SshKeyPair key =
        SshKeyPair.loadOrCreate(new Layout(dir.resolve("state"), dir.resolve("run")), "t@hearth");
    dialer = MinaGuestDialer.of(key.keyPair());
    guest = HangingGuest.in(dir);
    int port = TestSshd.freePort();
    sshd =
        TestSshd.start(
            dir.resolve("sshd"), port, key.publicKeyLine(), List.of(guest.forceCommand()));
    sshd.awaitListening();
    exec = new GuestExec(dialer, Duration.ofSeconds(30));
    vm = new SessionGuest("vm-id", new GuestTarget("demo", "127.0.0.1", port));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      dialer.close();
      if (sshd != null) {
        sshd.close();
      }
    } finally {
      guest.killSleeps();
    }
  }

  private GuestSessions sessions(Duration callTimeout) {
    SessionLayout layout =
        new SessionLayout(
            dir.resolve("guest/sessions").toString(), "/proc/sys/kernel/random/boot_id");
    return new GuestSessions(GuestScripts.overSsh(exec, layout), Clock.system(), callTimeout);
  }

  @Test
  void aHangingListEndsAtItsDeadlineAndItsProcessesInTheGuestAreEnded() throws Exception {
    try (GuestSessions sessions = sessions(Duration.ofSeconds(5))) {
      Future<Throwable> list = Await.async("session list", () -> thrown(() -> sessions.list(vm)));

      Throwable e = Await.result(list, Duration.ofMinutes(2), "the list to end at its deadline");

      assertThat(e)
          .isInstanceOf(GuestCallTimeoutException.class)
          .hasMessage(
              "the session list script in VM demo did not end within its deadline of 5s"
                  + " (guest_call_timeout); it was ended");
      assertThat(guest.hangsBegun())
          .as("hanging lists begun in the guest by the deadline")
          .isEqualTo(1);
      Await.until("the hung list's sleep in the guest to be ended", () -> guest.sleeps().isEmpty());
      assertThat(dialer.calls().running("demo")).isZero();
    }
  }

  @Test
  void cancellingAVmsCallsEndsItsHangingListAtOnce() throws Exception {
    try (GuestSessions sessions = sessions(Duration.ofMinutes(10))) {
      Future<Throwable> list = Await.async("session list", () -> thrown(() -> sessions.list(vm)));
      guest.awaitSleeping("the list script");

      assertThat(dialer.calls().cancel("demo", "was deleted")).isEqualTo(1);

      Throwable e = Await.result(list, ENDS_AT_ONCE, "the list to end once its VM's calls ended");
      assertThat(e)
          .isInstanceOf(GuestCallCancelledException.class)
          .hasMessage("VM demo was deleted while the session list script was running");
      assertThat(dialer.calls().running("demo")).isZero();
    }
  }

  @Test
  void cancellingAVmsCallsEndsItsExecAndTheCallsOfOtherVmsRunOn() throws Exception {
    GuestTarget other = new GuestTarget("other", vm.target().host(), vm.target().port());
    Future<Throwable> hanging =
        Await.async(
            "exec of sleep",
            () ->
                thrown(
                    () ->
                        exec.run(
                            vm.target(),
                            ExecRequest.of(List.of("sleep", guest.sleepArgument())),
                            InputStream.nullInputStream(),
                            new ByteArrayOutputStream(),
                            new ByteArrayOutputStream())));
    guest.awaitSleeping("the exec");

    dialer.calls().cancel("other", "was stopped");
    assertThat(dialer.calls().running("demo")).isEqualTo(1);
    dialer.calls().cancel("demo", "was stopped");

    Throwable e = Await.result(hanging, ENDS_AT_ONCE, "the exec to end once its VM's calls ended");
    assertThat(e)
        .isInstanceOf(GuestCallCancelledException.class)
        .hasMessage("VM demo was stopped while a command was running");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(
            exec.run(
                other,
                ExecRequest.of(List.of("echo", "still served")),
                InputStream.nullInputStream(),
                out,
                new ByteArrayOutputStream()))
        .isZero();
    assertThat(out.toString()).isEqualTo("still served\n");
  }

  @Test
  void cancellingAVmsCallsEndsADialThatWaitsForTheServer() throws Exception {
    // A server that accepts and never says a word: the dial waits for its SSH banner.
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      GuestExec patient = new GuestExec(dialer, Duration.ofMinutes(10));
      GuestTarget mute = new GuestTarget("mute", "127.0.0.1", silent.getLocalPort());
      Future<Throwable> dialling =
          Await.async(
              "exec on a mute guest",
              () ->
                  thrown(
                      () ->
                          patient.run(
                              mute,
                              ExecRequest.of(List.of("true")),
                              InputStream.nullInputStream(),
                              new ByteArrayOutputStream(),
                              new ByteArrayOutputStream())));
      try (Socket accepted =
          Await.call(Duration.ofMinutes(1), "the dial to connect", silent::accept)) {
        Await.until("the call to be registered", () -> dialer.calls().running("mute") == 1);

        dialer.calls().cancel("mute", "was deleted");

        Throwable e =
            Await.result(dialling, ENDS_AT_ONCE, "the dial to end once its VM's calls ended");
        assertThat(e)
            .isInstanceOf(GuestCallCancelledException.class)
            .hasMessage("VM mute was deleted while a command was running");
      }
    }
  }

  @Test
  void afterCancelAllNoCallStarts() throws Exception {
    dialer.calls().cancelAll("the daemon is shutting down");

    Throwable e =
        thrown(
            () ->
                exec.run(
                    vm.target(),
                    ExecRequest.of(List.of("true")),
                    InputStream.nullInputStream(),
                    new ByteArrayOutputStream(),
                    new ByteArrayOutputStream()));

    assertThat(e)
        .isInstanceOf(GuestCallCancelledException.class)
        .hasMessage("a command in VM demo was ended: the daemon is shutting down");
  }

  private interface Call {
    Object call() throws Exception;
  }

  /** What the call threw; fails when it returned. */
  private static Throwable thrown(Call call) {
    try {
      Object result = call.call();
      throw new AssertionError("expected the call to fail; it returned " + result);
    } catch (Exception e) {
      return e;
    }
  }
}
