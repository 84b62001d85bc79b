package dev.hearth.fcproc.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeRunner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The emulated guest with a fake runner on 127.0.0.1 and a free port: the exact {@code ip}
 * commands, root in with any key, the three kinds of command. The real TAP address is covered by
 * the daemon's VmFakeGuestHostTest.
 */
class FakeGuestSshTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final FakeRunner runner = new FakeRunner();
  private final ByteArrayOutputStream consoleBytes = new ByteArrayOutputStream();
  private final PrintStream console = new PrintStream(consoleBytes, true, StandardCharsets.UTF_8);
  private final CountDownLatch poweredOff = new CountDownLatch(1);
  private SshClient client;
  private KeyPair key;
  private FakeGuestSsh guest;

  @BeforeEach
  void startClient() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    key = generator.generateKeyPair();
    client = SshClient.setUpDefaultClient();
    client.setServerKeyVerifier((session, remote, serverKey) -> true);
    client.setKeyIdentityProvider(KeyIdentityProvider.wrapKeyPairs(key));
    client.start();
  }

  @AfterEach
  void stop() {
    if (guest != null) {
      guest.close();
    }
    client.stop();
  }

  private FakeGuestSsh startGuest() throws Exception {
    guest = FakeGuestSsh.start(runner, "127.0.0.1", 0, "htap7", console, poweredOff::countDown);
    return guest;
  }

  private record Exec(Integer status, String stderr) {}

  private Exec exec(String user, String command) throws Exception {
    try (ClientSession session =
        client.connect(user, "127.0.0.1", guest.port()).verify(WAIT).getSession()) {
      session.auth().verify(WAIT);
      try (ChannelExec channel = session.createExecChannel(command)) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        channel.setErr(err);
        channel.open().verify(WAIT);
        channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), WAIT);
        return new Exec(channel.getExitStatus(), err.toString(StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void bringsTheTapUpAndAddsTheAddressThenRemovesItOnClose() throws Exception {
    startGuest().close();

    assertThat(runner.argvs())
        .containsExactly(
            List.of("ip", "link", "set", "dev", "htap7", "up"),
            List.of("ip", "addr", "replace", "127.0.0.1/32", "dev", "htap7"),
            List.of("ip", "addr", "del", "127.0.0.1/32", "dev", "htap7"));
  }

  @Test
  void rootGetsInWithAnyKeyAndRunsTrue() throws Exception {
    startGuest();

    assertThat(exec("root", "true")).isEqualTo(new Exec(0, ""));
    assertThat(consoleBytes.toString(StandardCharsets.UTF_8))
        .contains(FakeGuestSsh.KEY_LINE_PREFIX + PublicKeyEntry.toString(key.getPublic()));
  }

  @Test
  void otherUsersAreRefused() throws Exception {
    startGuest();

    assertThatThrownBy(() -> exec("alice", "true")).hasMessageContaining("No more authentication");
  }

  @Test
  void anyOtherCommandExits127WithAMessage() throws Exception {
    startGuest();

    Exec ls = exec("root", "ls /");

    assertThat(ls.status()).isEqualTo(127);
    assertThat(ls.stderr()).contains("ls /: not found");
    assertThat(poweredOff.getCount()).isEqualTo(1);
  }

  @Test
  void poweroffAnswersThenPowersOff() throws Exception {
    startGuest();

    assertThat(exec("root", "poweroff").status()).isEqualTo(0);
    Await.latch(poweredOff, WAIT, "the fake guest to power off");
  }

  @Test
  void aFailedAddressStepLeavesNothingAndSaysWhy() {
    runner.on(
        List.of("ip", "addr", "replace"), 2, "", "RTNETLINK answers: Operation not permitted");

    assertThatThrownBy(startGuestOn("htap7"))
        .hasMessageContaining("could not add 127.0.0.1/32 to TAP htap7")
        .hasMessageContaining("Operation not permitted");
    assertThat(runner.argvs()).noneMatch(argv -> argv.contains("del"));
  }

  @Test
  void theGuestIpIsTheFirstFieldOfIp() {
    assertThat(
            FakeGuestSsh.guestIp(
                "console=ttyS0 reboot=k ip=10.252.7.2::10.252.7.1:255.255.255.0:demo:eth0:off"))
        .isEqualTo("10.252.7.2");
    assertThat(FakeGuestSsh.guestIp("console=ttyS0")).isNull();
  }

  private org.assertj.core.api.ThrowableAssert.ThrowingCallable startGuestOn(String tap) {
    return () -> FakeGuestSsh.start(runner, "127.0.0.1", 0, tap, console, () -> {});
  }
}
