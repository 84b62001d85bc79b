package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Clock;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.SshServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dialer holds SSH servers to the host keys pinned for their address: a MINA sshd on loopback
 * with a key of its own stands in for a guest, or for another machine answering at its address.
 */
class MinaGuestDialerHostKeyTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final KeyPair clientKey = ed25519();
  private final KeyPair serverKey = ed25519();
  private final Map<String, Optional<String>> pins = new ConcurrentHashMap<>();
  private SshServer server;
  private MinaGuestDialer dialer;
  private int port;

  /** The test's pins: the address 127.0.0.1 is VM "demo". */
  private final GuestHostKeys keys =
      new GuestHostKeys() {
        @Override
        public Optional<Known> lookup(String ip, int p) {
          return ip.equals("127.0.0.1") && p == port && pins.containsKey("demo")
              ? Optional.of(new Known("demo", pins.get("demo")))
              : Optional.empty();
        }

        @Override
        public void pin(String vm, String publicKeyLine) {
          pins.put(vm, Optional.of(publicKeyLine));
        }
      };

  @BeforeEach
  void startServer() throws Exception {
    server = SshServer.setUpDefaultServer();
    server.setHost("127.0.0.1");
    server.setPort(0);
    server.setKeyPairProvider(KeyPairProvider.wrap(serverKey));
    server.setPublickeyAuthenticator(
        (user, key, session) -> KeyUtils.compareKeys(key, clientKey.getPublic()));
    server.start();
    port = server.getPort();
    dialer = MinaGuestDialer.of(clientKey, keys);
  }

  @AfterEach
  void stop() throws Exception {
    dialer.close();
    server.stop(true);
  }

  @Test
  void theServerWithThePinnedKeyIsLetIn() throws Exception {
    pins.put("demo", Optional.of(PublicKeyEntry.toString(serverKey.getPublic())));
    try (ClientSession session = dialer.dial("127.0.0.1", port, TIMEOUT)) {
      assertThat(session.isAuthenticated()).isTrue();
    }
  }

  @Test
  void aServerWithAnotherKeyIsRefusedNamingTheVmAndBothFingerprints() {
    KeyPair pinned = ed25519();
    pins.put("demo", Optional.of(PublicKeyEntry.toString(pinned.getPublic())));

    assertThatThrownBy(() -> dialer.dial("127.0.0.1", port, TIMEOUT))
        .isInstanceOf(GuestHostKeyMismatchException.class)
        .hasMessageContaining("root@127.0.0.1:" + port)
        .hasMessageContaining("VM demo")
        .hasMessageContaining(KeyUtils.getFingerPrint(serverKey.getPublic()))
        .hasMessageContaining(KeyUtils.getFingerPrint(pinned.getPublic()));
  }

  @Test
  void theWaiterStopsAtOnceOnAnotherKeyRatherThanWaitingOut() {
    pins.put("demo", Optional.of(PublicKeyEntry.toString(ed25519().getPublic())));
    MinaSshWaiter waiter = new MinaSshWaiter(dialer, Clock.system());

    assertThatThrownBy(() -> waiter.await("127.0.0.1", port, Duration.ofMinutes(10)))
        .isInstanceOf(GuestHostKeyMismatchException.class)
        .hasMessageContaining("VM demo");
  }

  @Test
  void aVmWithoutAPinnedKeyHasTheFirstKeyItShowsPinned() throws Exception {
    pins.put("demo", Optional.empty());
    try (ClientSession session = dialer.dial("127.0.0.1", port, TIMEOUT)) {
      assertThat(session.isAuthenticated()).isTrue();
    }
    assertThat(pins.get("demo")).contains(PublicKeyEntry.toString(serverKey.getPublic()));

    // From then on it is held to that key: another server at its address is refused.
    server.stop(true);
    server = SshServer.setUpDefaultServer();
    server.setHost("127.0.0.1");
    server.setPort(0);
    server.setKeyPairProvider(KeyPairProvider.wrap(ed25519()));
    server.setPublickeyAuthenticator((user, key, session) -> true);
    server.start();
    port = server.getPort();
    assertThatThrownBy(() -> dialer.dial("127.0.0.1", port, TIMEOUT))
        .isInstanceOf(GuestHostKeyMismatchException.class);
  }

  @Test
  void anAddressThatIsNoVmsIsNotChecked() throws Exception {
    try (ClientSession session = dialer.dial("127.0.0.1", port, TIMEOUT)) {
      assertThat(session.isAuthenticated()).isTrue();
    }
  }

  private static KeyPair ed25519() {
    try {
      return KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }
}
