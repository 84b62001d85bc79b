package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Layout;
import dev.hearth.core.testing.FakePosix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
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
        TestDaemons.start(config, Daemon.Seams.system().withPosix(posix))) {
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
        TestDaemons.start(config, Daemon.Seams.system().withPosix(posix))) {
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
              "a hearth daemon is already running for " + Layout.of(config).runtimeDir()
                  + " (pid " + pid + ")")
          .satisfies(e -> assertThat(((DaemonAlreadyRunningException) e).pid()).isEqualTo(pid));
      try (HearthClient client = HearthClient.connect(running.socket)) {
        client.ping();
      }
    }
  }
}
