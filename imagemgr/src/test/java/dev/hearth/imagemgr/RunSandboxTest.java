package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.CommandTimeoutException;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image build's sandbox (issue 12: a --run script was run as root under a plain chroot with the
 * host's /dev bind-mounted and /proc, /sys mounted, so `chroot /proc/1/root` escaped): a small tree
 * made of the host's own programs stands in for a debootstrapped one.
 */
@RequiresRoot
@RequiresBinary({"sh", "unshare", "setpriv", "pivot_root", "mount", "umount", "mountpoint", "ldd"})
class RunSandboxTest {
  private static final List<String> TREE_PROGRAMS =
      List.of(
          "sh", "ls", "cat", "env", "setpriv", "umount", "sleep", "chroot", "grep", "mknod", "id");

  @TempDir Path dir;
  private Path tree;
  private Path sandbox;
  private Path hostSecret;
  private final Runner runner = TestFiles.realRunner();

  @BeforeEach
  void makeTree() throws Exception {
    tree = dir.resolve("tree");
    for (String d : List.of("etc", "root", "tmp", "mnt", "proc", "dev", "sys", "usr/bin")) {
      Files.createDirectories(tree.resolve(d));
    }
    Files.createSymbolicLink(tree.resolve("bin"), Path.of("usr/bin"));
    Files.createSymbolicLink(tree.resolve("sbin"), Path.of("usr/bin"));
    for (String program : TREE_PROGRAMS) {
      copyWithLibraries(program, which(program));
    }
    Files.writeString(tree.resolve("etc/marker"), "the tree's own\n");
    hostSecret = Files.writeString(dir.resolve("host-secret"), "host only\n");
    sandbox = dir.resolve(BuildScript.SANDBOX_FILE);
    Files.writeString(sandbox, BuildScript.sandbox(), StandardCharsets.UTF_8);
  }

  @Test
  void theScriptSeesOnlyThePrivateDevItsOwnProcAndTheTree() throws Exception {
    String probe =
        "echo \"dev: $(ls /dev)\"\n"
            + "echo \"proc1: $(chroot /proc/1/root cat /etc/marker 2>&1)\"\n"
            + "cat "
            + hostSecret
            + " 2>/dev/null && echo 'host file read' || echo 'host file unreachable'\n"
            + "ls /sys 2>/dev/null | grep -q . && echo 'sys visible' || echo 'no sys'\n"
            + "echo x 2>/dev/null > /proc/sys/kernel/core_pattern && echo 'sysctl written'"
            + " || echo 'sysctl read-only'\n"
            + "mknod /tmp/disk b 8 0 2>/dev/null && echo 'mknod worked' || echo 'no mknod'\n"
            + "echo \"pid $$\"\n"
            + "grep CapBnd /proc/self/status\n";
    Files.writeString(tree.resolve("root/probe.sh"), probe);

    CommandResult result = runInSandbox("none", "/bin/sh", "/root/probe.sh");

    assertThat(result.exitCode()).as(result.stderr()).isZero();
    String out = result.stdout();
    assertThat(out)
        .contains(
            "dev: fd\nfull\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\n")
        .contains("proc1: the tree's own\n")
        .contains("host file unreachable\n")
        .doesNotContain("host only")
        .contains("no sys\n")
        .contains("sysctl read-only\n")
        .contains("no mknod\n")
        .contains("pid 1\n");
    long bounding = Long.parseLong(capBnd(out), 16);
    long sysAdmin = 1L << 21;
    long mknod = 1L << 27;
    long dacReadSearch = 1L << 2;
    long sysModule = 1L << 16;
    assertThat(bounding & (sysAdmin | mknod | dacReadSearch | sysModule)).isZero();
    assertThat(bounding & 1L).as("chown stays, for package installs").isNotZero();
    // Nothing of the sandbox stays mounted on the host.
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(tree.toString());
  }

  @Test
  void theScriptHasNoNetworkUnlessHostIsChosen() throws Exception {
    Files.writeString(tree.resolve("root/net.sh"), "cat /proc/net/dev\n");

    String none = runInSandbox("none", "/bin/sh", "/root/net.sh").stdout();
    String host = runInSandbox("host", "/bin/sh", "/root/net.sh").stdout();

    assertThat(interfaces(none)).containsExactly("lo");
    assertThat(interfaces(host)).isEqualTo(interfaces(Files.readString(Path.of("/proc/net/dev"))));
  }

  @Test
  void whatTheScriptStartsDiesWithIt() throws Exception {
    String marker = "hearth-sandbox-test-" + UUID.randomUUID();
    Files.writeString(
        tree.resolve("root/daemonize.sh"),
        "sh -c 'sleep 1000; :' " + marker + " > /dev/null 2>&1 &\necho started\n");

    CommandResult result = runInSandbox("none", "/bin/sh", "/root/daemonize.sh");

    assertThat(result.stdout()).contains("started");
    Await.until(
        Duration.ofSeconds(10),
        "the script's background process to be gone",
        () -> !running(marker));
  }

  @Test
  void aBuildThatRunsForeverIsKilledWholeAtTheTimeLimit() throws Exception {
    String marker = "hearth-build-test-" + UUID.randomUUID();
    Path script = writeBuildScript(marker);

    assertThatThrownBy(
            () ->
                runner.run(
                    Command.builder("sh")
                        .args(ImageBuilder.wrapperArgs(script, List.of()))
                        .timeout(Duration.ofSeconds(3))
                        .build()))
        .isInstanceOf(CommandTimeoutException.class);
    Await.until(Duration.ofSeconds(10), "the build's processes to be gone", () -> !running(marker));
  }

  /**
   * The daemon's side of a build is killed (as a crash would): the chain it started (setpriv
   * --pdeathsig, unshare --kill-child, the build as its PID namespace's init) takes every process
   * of the build with it. A shell stands in for the daemon, which a test cannot kill.
   */
  @Test
  void aBuildDiesWhenTheProcessThatStartedItIsKilled() throws Exception {
    String marker = "hearth-build-test-" + UUID.randomUUID();
    Path script = writeBuildScript(marker);
    List<String> chain = new ArrayList<>(List.of("sh"));
    chain.addAll(ImageBuilder.wrapperArgs(script, List.of()));
    StringBuilder standIn = new StringBuilder();
    for (String word : chain) {
      standIn.append('\'').append(word.replace("'", "'\\''")).append("' ");
    }
    Process daemon =
        new ProcessBuilder("sh", "-c", standIn + "& wait")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("stand-in.log").toFile())
            .start();
    try {
      Await.until(Duration.ofSeconds(20), "the build's processes to start", () -> running(marker));

      daemon.destroyForcibly().waitFor();

      Await.until(
          Duration.ofSeconds(10),
          "the build's processes to die with the process that started them",
          () -> !running(marker));
    } finally {
      daemon.destroyForcibly();
    }
  }

  private Path writeBuildScript(String marker) throws IOException {
    Path script = dir.resolve("build.sh");
    Files.writeString(
        script, "sh -c 'sleep 1000; :' " + marker + " &\nsh -c 'sleep 1000; :' " + marker + "\n");
    return script;
  }

  private CommandResult runInSandbox(String network, String... command) throws Exception {
    List<String> args = new ArrayList<>(List.of(sandbox.toString(), tree.toString(), network));
    args.addAll(List.of(command));
    // The build runs it inside its own mount namespace; so does the test.
    List<String> argv = new ArrayList<>(List.of("--mount", "--propagation", "private", "sh"));
    argv.addAll(args);
    return runner.run(
        Command.builder("unshare").args(argv).timeout(Duration.ofSeconds(60)).build());
  }

  private static String capBnd(String out) {
    Matcher m = Pattern.compile("CapBnd:\\s*([0-9a-f]+)").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return m.group(1);
  }

  private static List<String> interfaces(String procNetDev) {
    return procNetDev
        .lines()
        .filter(l -> l.contains(":"))
        .map(l -> l.substring(0, l.indexOf(':')).strip())
        .sorted()
        .toList();
  }

  private static boolean running(String marker) throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs
          .filter(p -> p.getFileName().toString().matches("\\d+"))
          .anyMatch(
              p -> {
                try {
                  return new String(
                          Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                      .contains(marker);
                } catch (IOException e) {
                  return false; // it ended meanwhile
                }
              });
    }
  }

  private Path which(String program) throws Exception {
    CommandResult r = runner.check(Command.of("sh", "-c", "command -v " + program));
    return Path.of(r.stdout().strip()).toRealPath();
  }

  /** The program and the libraries ldd names, at the same paths in the tree. */
  private void copyWithLibraries(String name, Path program) throws Exception {
    copyIntoTree(program, tree.resolve("usr/bin").resolve(name));
    CommandResult ldd = runner.run(Command.of("ldd", program.toString()));
    Matcher m = Pattern.compile("(/\\S+)").matcher(ldd.stdout());
    while (m.find()) {
      Path library = Path.of(m.group(1));
      copyIntoTree(library, tree.resolve(library.toString().substring(1)));
    }
  }

  private static void copyIntoTree(Path from, Path to) throws IOException {
    if (Files.exists(to)) {
      return;
    }
    Files.createDirectories(to.getParent());
    Files.copy(from, to);
    to.toFile().setExecutable(true);
  }
}
