package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.HostProbe.FileStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real probe on this machine's filesystem and /proc. */
class LinuxHostProbeTest {
  @TempDir Path dir;

  @Test
  void statReportsTypeModeAndOwner() throws Exception {
    Path file = Files.createFile(dir.resolve("key"));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    LinuxHostProbe probe = LinuxHostProbe.system();
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
    LinuxHostProbe probe = new LinuxHostProbe(bin + ":" + dir.resolve("nowhere"));

    assertThat(probe.findExecutable("tool")).contains(tool);
    assertThat(probe.findExecutable("notexec")).isEmpty();
    // sh is in /usr/bin or /bin, which are not on this PATH (nor are the sbin folders searched).
    assertThat(probe.findExecutable("sh")).isEmpty();
  }

  @Test
  void readsSmallProcFiles() throws Exception {
    String forward =
        LinuxHostProbe.system().readSmallText(Path.of("/proc/sys/net/ipv4/ip_forward")).strip();

    assertThat(forward).isIn("0", "1");
  }

  @Test
  void listsAFolderSortedAndSumsTheFilesOfATree() throws Exception {
    Path tree = Files.createDirectory(dir.resolve("tree"));
    Files.write(tree.resolve("b"), new byte[300]);
    Files.createDirectory(tree.resolve("a"));
    Files.write(tree.resolve("a").resolve("c"), new byte[40]);
    Files.createSymbolicLink(tree.resolve("link"), Path.of("nowhere"));
    LinuxHostProbe probe = LinuxHostProbe.system();

    assertThat(probe.list(tree))
        .containsExactly(tree.resolve("a"), tree.resolve("b"), tree.resolve("link"));
    assertThat(probe.list(dir.resolve("missing"))).isEmpty();
    assertThat(probe.treeBytes(tree)).isEqualTo(340);
    assertThat(probe.treeBytes(tree.resolve("b"))).isEqualTo(300);
  }
}
