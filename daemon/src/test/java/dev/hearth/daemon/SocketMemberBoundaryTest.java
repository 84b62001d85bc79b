package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Layout;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: a member of the socket group got root's file access through the daemon (`image build
 * --run /etc/shadow`, `image register --initrd <the daemon's private key>`). Here a real
 * unprivileged member (uid 65534 with a throwaway group that is the daemon's socket_group, through
 * setpriv) runs the typed client as the CLI does: what it can read it may register; what it cannot
 * read, the daemon never reads for it.
 */
@RequiresRoot
@RequiresBinary({"setpriv", "groupadd", "groupdel", "mkfs.ext4", "truncate"})
@Timeout(300)
class SocketMemberBoundaryTest {
  private static final int MEMBER_UID = 65534;

  @TempDir Path dir;
  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private String group;
  private int gid;
  private TestDaemons.Running daemon;
  private Layout layout;
  private Path classpath;
  private Path files;
  private Path kernel;
  private Path rootfs;

  @BeforeEach
  void setUp() throws Exception {
    group = "hearth-t" + UUID.randomUUID().toString().substring(0, 8);
    runner.check(Command.of("groupadd", group));
    gid =
        Integer.parseInt(runner.check(Command.of("getent", "group", group)).stdout().split(":")[2]);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    files = Files.createDirectory(dir.resolve("files"));
    kernel = Files.write(files.resolve("vmlinux"), ImageRegistryTest.elfKernel());
    rootfs = files.resolve("rootfs.ext4");
    runner.check(Command.of("truncate", "-s", "16M", rootfs.toString()));
    runner.check(Command.of("mkfs.ext4", "-q", "-F", rootfs.toString()));
    classpath = readableClasspath();
    Config config = TestDaemons.config(dir).with(ConfigKey.SOCKET_GROUP, group);
    layout = Layout.of(config);
    daemon = TestDaemons.start(config);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
    runner.run(Command.of("groupdel", group));
  }

  @Test
  void aMemberRegistersFilesItCanRead() throws Exception {
    String out = asMember("register", "mine", kernel.toString(), rootfs.toString());

    assertThat(out).isEqualTo("OK mine");
    assertThat(layout.imageDir("mine").resolve("rootfs.ext4")).exists();
  }

  @Test
  void aMemberCannotRegisterWhatOnlyRootCanRead() throws Exception {
    Path rootOnlyKey = Files.writeString(files.resolve("id_ed25519"), "secret key\n");
    Files.setPosixFilePermissions(rootOnlyKey, PosixFilePermissions.fromString("rw-------"));
    Path closed = Files.createDirectory(dir.resolve("closed"));
    Path hidden = Files.copy(kernel, closed.resolve("vmlinux"));
    Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));

    String shadow = asMember("register", "a", kernel.toString(), "/etc/shadow");
    String key = asMember("register", "b", kernel.toString(), rootfs.toString(), rootOnlyKey + "");
    String untraversable = asMember("register", "c", hidden.toString(), rootfs.toString());

    assertThat(shadow)
        .startsWith("ERR invalid rootfs: cannot open /etc/shadow: permission denied")
        .contains("with your own rights");
    assertThat(key).startsWith("ERR invalid initrd: cannot open " + rootOnlyKey + ": permission");
    assertThat(untraversable).startsWith("ERR invalid kernel: cannot open " + hidden + ": no such");
    for (String name : List.of("a", "b", "c")) {
      assertThat(layout.imageDir(name)).doesNotExist();
    }
  }

  @Test
  void aMemberCannotBuildWithARunScriptItCannotRead() throws Exception {
    String out = asMember("build", "x", "/etc/shadow");

    assertThat(out).startsWith("ERR invalid run: cannot read /etc/shadow: permission denied");
    try (Hearth hearth = Hearth.connect(daemon.socket)) {
      assertThat(hearth.ops().list()).isEmpty();
    }
  }

  /** Runs {@link MemberClientMain} as uid 65534 with the socket group; its one line of output. */
  private String asMember(String... args) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> argv =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--reuid=" + MEMBER_UID,
                "--regid=" + MEMBER_UID,
                "--groups=" + gid,
                java.toString(),
                "-XX:-UsePerfData",
                "-cp",
                classpath.toString() + File.separator + "*",
                MemberClientMain.class.getName(),
                args[0],
                daemon.socket.toString()));
    argv.addAll(List.of(args).subList(1, args.length));
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    process.getOutputStream().close();
    Await.Output o = Await.output(process, Duration.ofMinutes(2), "the client run as a member");
    assertThat(o.exitCode()).as(o.stdout()).isZero();
    List<String> lines =
        o.stdout().lines().filter(l -> l.startsWith("OK ") || l.startsWith("ERR ")).toList();
    assertThat(lines).as(o.stdout()).hasSize(1);
    return lines.get(0);
  }

  /** The test's classpath as jars the member can read (the Maven repository is root's). */
  private Path readableClasspath() throws IOException, InterruptedException {
    Path cp = Files.createDirectory(dir.resolve("cp"));
    String path =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    int n = 0;
    for (String entry : path.split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (Files.isDirectory(p)) {
        Path jar = cp.resolve(String.format("%03d-classes.jar", n++));
        String jarTool = Path.of(System.getProperty("java.home"), "bin", "jar").toString();
        runner.check(
            Command.of(jarTool, "--create", "--file", jar.toString(), "-C", p.toString(), "."));
      } else if (Files.isRegularFile(p)) {
        Files.copy(p, cp.resolve(String.format("%03d-%s", n++, p.getFileName())));
      }
    }
    return cp;
  }
}
