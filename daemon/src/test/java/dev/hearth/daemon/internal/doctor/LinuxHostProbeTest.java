package dev.hearth.daemon.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.FakeRunner;
import dev.hearth.daemon.internal.doctor.HostProbe.BoundSocket;
import dev.hearth.daemon.internal.doctor.HostProbe.FileStatus;
import dev.hearth.daemon.internal.doctor.HostProbe.Reflink;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real probe on this machine's filesystem and /proc, with a fake runner for cp. */
class LinuxHostProbeTest {
  @TempDir Path dir;

  private final FakeRunner runner = new FakeRunner();

  @Test
  void statReportsTypeModeAndOwner() throws Exception {
    Path file = Files.createFile(dir.resolve("key"));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    LinuxHostProbe probe = new LinuxHostProbe(runner);
    int uid = (Integer) Files.getAttribute(dir, "unix:uid");

    assertThat(probe.stat(file)).contains(new FileStatus(false, 0640, uid));
    assertThat(probe.stat(dir).orElseThrow().directory()).isTrue();
    assertThat(probe.stat(dir.resolve("missing"))).isEmpty();
    assertThat(probe.exists(file)).isTrue();
    assertThat(probe.exists(dir.resolve("missing"))).isFalse();
  }

  @Test
  void findsProgramsOnThePathOnly() throws Exception {
    Path bin = Files.createDirectory(dir.resolve("bin"));
    Path tool = Files.createFile(bin.resolve("tool"));
    Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createFile(bin.resolve("notexec"));
    LinuxHostProbe probe = new LinuxHostProbe(runner, bin + ":" + dir.resolve("nowhere"));

    assertThat(probe.findExecutable("tool")).contains(tool);
    assertThat(probe.findExecutable("notexec")).isEmpty();
    // sh is in /usr/bin or /bin, which are not on this PATH (nor are the sbin folders searched).
    assertThat(probe.findExecutable("sh")).isEmpty();
  }

  @Test
  void readsSmallProcFiles() throws Exception {
    String forward = new LinuxHostProbe(runner).readSmallText(NetworkChecks.IP_FORWARD).strip();

    assertThat(forward).isIn("0", "1");
  }

  @Test
  void reflinkTriesCpInTheFolderAndCleansUp() throws Exception {
    Path cp = Files.createFile(dir.resolve("cp"));
    Files.setPosixFilePermissions(cp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path state = Files.createDirectory(dir.resolve("state"));
    runner.on(
        List.of(cp.toString()),
        1,
        "",
        "cp: failed to clone '"
            + state
            + "/a.copy' from '"
            + state
            + "/a': Operation not supported\n");
    LinuxHostProbe probe = new LinuxHostProbe(runner, dir.toString());

    Reflink reflink = probe.tryReflink(state);

    assertThat(reflink.supported()).isFalse();
    assertThat(reflink.detail())
        .isEqualTo("cp --reflink=always failed in " + state + ": Operation not supported");
    List<String> argv = runner.argvs().get(0);
    assertThat(argv.subList(0, 2)).containsExactly(cp.toString(), "--reflink=always");
    assertThat(Path.of(argv.get(2)).getParent()).isEqualTo(state);
    try (Stream<Path> left = Files.list(state)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void seesOurOwnUdpSocketAndKnowsItIsOurs() throws Exception {
    LinuxHostProbe probe = new LinuxHostProbe(runner);
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
      int port = socket.getLocalPort();

      List<BoundSocket> ours =
          probe.boundSockets().stream()
              .filter(s -> s.port() == port && s.protocol().startsWith("udp"))
              .filter(s -> s.address().equals(loopback))
              .toList();

      assertThat(ours).hasSize(1);
      assertThat(probe.ownSocketInodes()).contains(ours.get(0).inode());
    }
  }
}
