package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Clock;
import dev.hearth.core.Layout;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.session.testing.TestSshd;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The waiter and the dialer against a real OpenSSH sshd on 127.0.0.1. */
@RequiresRoot
@RequiresBinary({"sshd", "ssh-keygen", "unshare"})
class MinaSshHostTest {
  private static final String LOCALHOST = "127.0.0.1";

  @TempDir static Path keys;
  private static SshKeyPair daemonKey;
  private static SshKeyPair otherKey;
  private static MinaGuestDialer dialer;

  @TempDir Path tmp;
  private final ExecutorService executor = Executors.newSingleThreadExecutor();
  private MinaSshWaiter waiter;
  private TestSshd sshd;

  @BeforeAll
  static void createKeysAndStartTheClient() {
    daemonKey =
        SshKeyPair.loadOrCreate(
            new Layout(keys.resolve("daemon"), keys.resolve("run")), "hearth@test");
    otherKey =
        SshKeyPair.loadOrCreate(
            new Layout(keys.resolve("other"), keys.resolve("run")), "someone@else");
    dialer = MinaGuestDialer.of(daemonKey.keyPair());
  }

  @AfterAll
  static void stopTheClient() {
    dialer.close();
  }

  @AfterEach
  void stopSshd() throws Exception {
    executor.shutdownNow();
    if (sshd != null) {
      sshd.close();
    }
  }

  @Test
  void awaitPollsUntilSshdStartsThenLogsInAsRootWithTheDaemonsKey() throws Exception {
    // The waiter pauses on its clock after each failed try: counting the pauses shows it tried.
    CountDownLatch pauses = new CountDownLatch(2);
    Clock system = Clock.system();
    waiter =
        new MinaSshWaiter(
            dialer,
            new Clock() {
              @Override
              public Instant now() {
                return system.now();
              }

              @Override
              public long nanoTime() {
                return system.nanoTime();
              }

              @Override
              public void sleep(Duration duration) throws InterruptedException {
                pauses.countDown();
                system.sleep(duration);
              }
            });
    int port = TestSshd.freePort();

    Future<?> waiting =
        executor.submit(
            () -> {
              waiter.await(LOCALHOST, port, Duration.ofSeconds(60));
              return null;
            });
    // It polls a port where nothing listens yet: it must keep waiting, not fail or return.
    Await.latch(
        pauses, Duration.ofSeconds(30), "the SSH wait to fail twice where nothing listens yet");
    assertThat(waiting.isDone()).isFalse();
    sshd = TestSshd.start(tmp, port, daemonKey.publicKeyLine());

    Await.result(waiting, Duration.ofSeconds(90), "the SSH wait to end once sshd runs");
    assertThat(sshd.log()).contains("Accepted publickey for root from 127.0.0.1");
  }

  @Test
  void aRefusedKeyKeepsAwaitFailingUntilItTimesOutWithTheAuthError() throws Exception {
    waiter = new MinaSshWaiter(dialer, Clock.system());
    int port = TestSshd.freePort();
    sshd = TestSshd.start(tmp, port, otherKey.publicKeyLine());
    // Listening first, and a timeout that outlasts a slow first handshake: the last error must be
    // the refused key, not a refused connection or a handshake cut short.
    sshd.awaitListening();

    assertThatThrownBy(() -> waiter.await(LOCALHOST, port, Duration.ofSeconds(10)))
        .isInstanceOf(GuestSshTimeoutException.class)
        .hasMessageContaining("root@127.0.0.1:" + port)
        .hasMessageContaining("No more authentication methods available");
    assertThat(sshd.log()).doesNotContain("Accepted publickey");
  }

  @Test
  void theDialerOpensAnAuthenticatedRootSession() throws Exception {
    waiter = new MinaSshWaiter(dialer, Clock.system());
    int port = TestSshd.freePort();
    sshd = TestSshd.start(tmp, port, daemonKey.publicKeyLine());
    waiter.await(LOCALHOST, port, Duration.ofSeconds(60));

    try (ClientSession session = dialer.dial(LOCALHOST, port, Duration.ofSeconds(30))) {
      assertThat(session.isAuthenticated()).isTrue();
      assertThat(session.executeRemoteCommand("id -u")).isEqualTo("0\n");
    }
  }

  @Test
  void theDialerNamesTheAddressWhenTheKeyIsRefused() throws Exception {
    int port = TestSshd.freePort();
    sshd = TestSshd.start(tmp, port, otherKey.publicKeyLine());
    sshd.awaitListening();
    waiter = new MinaSshWaiter(dialer, Clock.system());
    assertThatThrownBy(() -> waiter.await(LOCALHOST, port, Duration.ofSeconds(10)))
        .hasMessageContaining("authentication");

    assertThatThrownBy(() -> dialer.dial(LOCALHOST, port, Duration.ofSeconds(30)))
        .isInstanceOf(GuestSshException.class)
        .hasMessageContaining("root@127.0.0.1:" + port)
        .hasMessageContaining("No more authentication methods available");
  }

  @Test
  void aGuestWhoseShellWritesWithoutEndFailsTheWaitAtTheBoundNamingIt() throws Exception {
    int port = TestSshd.freePort();
    // Every command, `true` included, becomes 64 MiB on stderr (finite, so that unbounded code
    // ends too, with success, which is what it must not report).
    sshd =
        TestSshd.start(
            tmp,
            port,
            daemonKey.publicKeyLine(),
            List.of("ForceCommand head -c 67108864 /dev/zero >&2"));
    sshd.awaitListening();
    waiter = new MinaSshWaiter(dialer, Clock.system());

    assertThatThrownBy(() -> waiter.await(LOCALHOST, port, Duration.ofSeconds(20)))
        .isInstanceOf(GuestSshTimeoutException.class)
        .hasMessageContaining(
            "the stderr of `true` over SSH on root@127.0.0.1:"
                + port
                + " passed 64 KiB, the most the daemon reads of it; the guest command was stopped");
  }
}
