package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Clock;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.session.testing.TestSshd;
import java.net.Socket;
import java.security.KeyPair;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The waiter and the dialer against a loopback port where nothing listens. */
class MinaSshWaiterTest {
  private static MinaGuestDialer dialer;

  @BeforeAll
  static void startTheClient() throws Exception {
    KeyPair key = KeyUtils.generateKeyPair(KeyPairProvider.SSH_RSA, 2048);
    dialer = MinaGuestDialer.of(key);
  }

  @AfterAll
  static void stopTheClient() {
    dialer.close();
  }

  @Test
  void timesOutNamingTheAddressTheTimeWaitedAndTheLastError() throws Exception {
    Socket reserved = TestSshd.refusingPort();
    int port = reserved.getLocalPort();
    // The fake clock's sleeps pass at once: the wait is 700 ms of its time, however slow the host.
    MinaSshWaiter waiter = new MinaSshWaiter(dialer, new FakeClock());

    assertThatThrownBy(() -> waiter.await("127.0.0.1", port, Duration.ofMillis(700)))
        .isInstanceOfSatisfying(
            GuestSshTimeoutException.class,
            e -> {
              assertThat(e.address()).isEqualTo("root@127.0.0.1:" + port);
              assertThat(e.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(700));
              assertThat(e.lastError()).contains("127.0.0.1:" + port, "Connection refused");
            })
        .hasMessageStartingWith("no SSH answer from root@127.0.0.1:" + port + " after ")
        .hasMessageContaining("Connection refused");
    reserved.close();
  }

  @Test
  void anInterruptEndsTheWaitWithInterruptedException() throws Exception {
    Socket reserved = TestSshd.refusingPort();
    int port = reserved.getLocalPort();
    MinaSshWaiter waiter = new MinaSshWaiter(dialer, Clock.system());
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Thread waiting =
        new Thread(
            () -> {
              try {
                waiter.await("127.0.0.1", port, Duration.ofMinutes(5));
                outcome.set(new AssertionError("await returned with nothing listening"));
              } catch (Throwable t) {
                outcome.set(t);
              }
            });
    waiting.start();
    Thread.sleep(300);

    waiting.interrupt();
    Await.join(waiting, "the interrupted wait");

    assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
    reserved.close();
  }

  @Test
  void aDialWithNoTimeLeftFailsAsAGuestSshError() throws Exception {
    int port = TestSshd.freePort();

    assertThatThrownBy(() -> dialer.dial("127.0.0.1", port, Duration.ofMillis(-1)))
        .isInstanceOf(GuestSshException.class)
        .hasMessageContaining("root@127.0.0.1:" + port);
  }
}
