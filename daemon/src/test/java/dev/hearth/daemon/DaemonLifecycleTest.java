package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.CoreException;
import dev.hearth.core.Layout;
import dev.hearth.core.rpc.Wire;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakePosix;
import dev.hearth.daemon.internal.api.HearthClient;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonLifecycleTest {
  @TempDir Path dir;

  @Test
  void servesPingAndVersionThenCleansUpOnClose() throws Exception {
    Config config = TestDaemons.config(dir);
    Layout layout = Layout.of(config);
    try (TestDaemons.Running running = TestDaemons.start(config)) {
      assertThat(layout.pidFile()).hasContent(Long.toString(ProcessHandle.current().pid()));
      try (HearthClient client = HearthClient.connect(running.socket)) {
        client.ping();
        VersionInfo version = client.version();
        assertThat(version.protocolVersion()).isEqualTo(HearthClient.PROTOCOL_VERSION);
        assertThat(version.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(version.javaVersion()).isEqualTo(Runtime.version().toString());
      }
    }
    assertThat(layout.socket()).doesNotExist();
    assertThat(layout.pidFile()).doesNotExist();
    assertThat(Files.isDirectory(layout.stateDir())).isTrue();
  }

  @Test
  void givesTheSocketMode0660AndTheSocketGroup() throws Exception {
    Config config = TestDaemons.config(dir).with(ConfigKey.SOCKET_GROUP, "hearthtest");
    FakePosix posix = new FakePosix(0, 0).group("hearthtest", 4321);
    try (TestDaemons.Running running =
        TestDaemons.start(config, TestDaemons.seams().withPosix(posix))) {
      assertThat(Files.getPosixFilePermissions(running.socket))
          .isEqualTo(PosixFilePermissions.fromString("rw-rw----"));
      assertThat(posix.chgrps()).isEqualTo(Map.of(running.socket, 4321));
    }
  }

  @Test
  void leavesTheSocketGroupAloneWhenTheGroupDoesNotExist() throws Exception {
    Config config = TestDaemons.config(dir).with(ConfigKey.SOCKET_GROUP, "nosuchgroup");
    FakePosix posix = new FakePosix(0, 0);
    try (TestDaemons.Running running =
        TestDaemons.start(config, TestDaemons.seams().withPosix(posix))) {
      assertThat(posix.chgrps()).isEmpty();
      try (HearthClient client = HearthClient.connect(running.socket)) {
        client.ping();
      }
    }
  }

  @Test
  void secondOpenOnTheSameRuntimeDirNamesTheRunningPid() throws Exception {
    Config config = TestDaemons.config(dir);
    try (TestDaemons.Running running = TestDaemons.start(config)) {
      long pid = ProcessHandle.current().pid();
      assertThatThrownBy(() -> Daemon.open(config))
          .isInstanceOf(DaemonAlreadyRunningException.class)
          .hasMessage(
              "a hearth daemon is already running for "
                  + Layout.of(config).runtimeDir()
                  + " (pid "
                  + pid
                  + ")")
          .satisfies(e -> assertThat(((DaemonAlreadyRunningException) e).pid()).isEqualTo(pid));
      try (HearthClient client = HearthClient.connect(running.socket)) {
        client.ping();
      }
    }
  }

  @Test
  void closeRemovesSocketAndPidFileAndANewOpenWorks() throws Exception {
    Config config = TestDaemons.config(dir);
    Layout layout = Layout.of(config);
    TestDaemons.start(config).close();
    assertThat(layout.socket()).doesNotExist();
    assertThat(layout.pidFile()).doesNotExist();
    try (TestDaemons.Running again = TestDaemons.start(config);
        HearthClient client = HearthClient.connect(again.socket)) {
      client.ping();
    }
  }

  @Test
  void closeIsIdempotentAndServeReturnsAfterIt() throws Exception {
    Daemon daemon = Daemon.open(TestDaemons.config(dir));
    daemon.close();
    daemon.close();
    daemon.serve();
  }

  @Test
  void aStaleSocketLeftByACrashIsReplaced() throws Exception {
    Config config = TestDaemons.config(dir);
    Path socket = TestDaemons.socket(config);
    Files.createDirectories(socket.getParent());
    try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      crashed.bind(UnixDomainSocketAddress.of(socket));
    }
    assertThat(socket).exists();
    try (TestDaemons.Running daemon = TestDaemons.start(config);
        HearthClient client = HearthClient.connect(daemon.socket)) {
      client.ping();
    }
  }

  @Test
  void aFailedOpenLeavesNoPidFileLockOrSocket() throws Exception {
    Config config = TestDaemons.config(dir);
    Layout layout = Layout.of(config);
    Files.createDirectories(layout.database());
    assertThatThrownBy(() -> Daemon.open(config)).isInstanceOf(CoreException.class);
    assertThat(layout.pidFile()).doesNotExist();
    assertThat(layout.socket()).doesNotExist();
    Files.delete(layout.database());
    try (TestDaemons.Running daemon = TestDaemons.start(config);
        HearthClient client = HearthClient.connect(daemon.socket)) {
      client.ping();
    }
  }

  @Test
  void anInFlightRequestFinishesAndIsAnsweredDuringClose() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Daemon.Seams seams =
        TestDaemons.seams()
            .withHandler(
                "test.slow",
                params -> {
                  started.countDown();
                  Await.latch(release, "the test to release the request");
                  Thread.sleep(1000);
                  return Wire.object().put("done", true);
                });
    Config config = TestDaemons.config(dir);
    TestDaemons.Running daemon = TestDaemons.start(config, seams);
    try (RawClient client = RawClient.connect(daemon.socket);
        RawClient idle = RawClient.connect(daemon.socket)) {
      client.sendLine("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.slow\"}");
      Await.latch(started, "test.slow to start");
      Thread closer = new Thread(daemon.daemon::close);
      closer.start();
      awaitRefusingConnections(daemon.socket);
      release.countDown();
      assertThat(client.readJson().at("/result/done").booleanValue()).isTrue();
      assertThat(client.readLine()).isNull();
      assertThat(idle.readLine()).isNull();
      Await.join(closer, "the daemon's close");
    } finally {
      daemon.close();
    }
    assertThat(daemon.socket).doesNotExist();
  }

  @Test
  void aRequestStillRunningAfterTheShutdownGraceIsCutOff() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    Daemon.Seams seams =
        TestDaemons.seams()
            .withHandler(
                "test.forever",
                params -> {
                  started.countDown();
                  // "Forever" for this test: the shutdown grace (200 ms) must cut it off.
                  Thread.sleep(Await.DEFAULT.toMillis());
                  return Wire.object();
                });
    Config config = TestDaemons.config(dir).with(ConfigKey.SHUTDOWN_GRACE, "200ms");
    TestDaemons.Running daemon = TestDaemons.start(config, seams);
    try (RawClient client = RawClient.connect(daemon.socket)) {
      client.sendLine("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.forever\"}");
      Await.latch(started, "test.forever to start");
      daemon.close();
      assertThat(client.readLine()).isNull();
    }
    assertThat(daemon.socket).doesNotExist();
  }

  /** Waits until close has stopped the listener: a new client cannot connect any more. */
  private static void awaitRefusingConnections(Path socket) throws Exception {
    Await.until(
        "the closing daemon to refuse new connections",
        () -> {
          try (RawClient probe = RawClient.connect(socket)) {
            return false;
          } catch (IOException e) {
            return true;
          }
        });
  }
}
