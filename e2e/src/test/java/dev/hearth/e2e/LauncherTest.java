package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution's launcher and its class-data-sharing archive (a test of the distribution
 * without a daemon or guests: not tagged e2e). Each test works on its own copy of the distribution,
 * as an installation would be.
 */
class LauncherTest {
  /** Bounds for a loaded machine (a dump takes seconds); they only stop a hung test. */
  private static final long WAIT_SECONDS = 180;

  @TempDir Path dir;

  private Path dist;
  private Path lib;
  private String versionLine;

  @BeforeEach
  void copyTheDistribution() throws Exception {
    Path built = Path.of(System.getProperty("hearth.e2e.dist", "../cli/target/hearth-dist"));
    assertThat(built.resolve("bin/hearth")).as("the distribution (cli's package phase)").exists();
    dist = copy(built, dir.resolve("hearth"));
    lib = dist.resolve("lib");
    versionLine = run(dist, Map.of(), "--version").out().strip();
    assertThat(versionLine).startsWith("hearth ");
  }

  /** Copies a folder as {@code cp -a} does: modes and modification times kept. */
  private static Path copy(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else if (!p.getFileName().toString().startsWith("hearth.jsa")) {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    return to;
  }

  private record Run(int exitCode, String out, String err) {}

  private Run run(Path distribution, Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(distribution.resolve("bin/hearth").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> environment = new HashMap<>(env);
    environment.putIfAbsent("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().putAll(environment);
    pb.redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
    Process p = pb.start();
    assertThat(p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS))
        .as("bin/hearth %s", String.join(" ", args))
        .isTrue();
    return new Run(
        p.exitValue(),
        Files.readString(dir.resolve("out"), StandardCharsets.UTF_8),
        Files.readString(dir.resolve("err"), StandardCharsets.UTF_8));
  }

  private String stamp() throws IOException {
    return Files.readAllLines(lib.resolve("hearth.jsa.stamp")).get(0);
  }

  /** When the archive was written: a new dump changes it. */
  private FileTime archiveKey() throws IOException {
    return Files.getLastModifiedTime(lib.resolve("hearth.jsa"));
  }

  /** The classes a run loaded from the archive, from a class-loading log it wrote. */
  private List<String> sharedClasses(Path distribution) throws Exception {
    Path log = dir.resolve("classes.log");
    Files.deleteIfExists(log);
    Run r =
        run(
            distribution,
            Map.of("HEARTH_JAVA_OPTS", "-Xlog:class+load=info:file=" + log),
            "--version");
    assertThat(r.out().strip()).isEqualTo(versionLine);
    return Files.readAllLines(log).stream()
        .filter(l -> l.contains("source: shared objects file"))
        .toList();
  }

  @Test
  void theFirstRunDumpsTheArchiveThatLaterRunsUse() throws Exception {
    // The set-up's run dumped it, and printed nothing else.
    assertThat(lib.resolve("hearth.jsa")).isNotEmptyFile();
    assertThat(stamp()).startsWith(lib + " ").doesNotStartWith("failed");
    // This JDK takes the option that maps the archive where it was dumped.
    assertThat(Files.readAllLines(lib.resolve("hearth.jsa.stamp")).get(1))
        .isEqualTo("-XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0");
    FileTime dumped = archiveKey();

    assertThat(sharedClasses(dist))
        .anyMatch(l -> l.contains("picocli.CommandLine "))
        .anyMatch(l -> l.contains("dev.hearth.cli.Main "));
    assertThat(archiveKey()).as("not dumped again").isEqualTo(dumped);
  }

  /**
   * A rebuild or an upgrade writes a new lib/hearth.jars (the digest of the jars, whose dates are
   * fixed and whose sizes may stay): the next command dumps again.
   */
  @Test
  void aNewDigestOfTheJarsMeansANewDump() throws Exception {
    FileTime dumped = archiveKey();
    Path digest = lib.resolve("hearth.jars");
    assertThat(Files.readString(digest)).matches("[0-9a-f]{64}\n");
    Files.writeString(digest, "0".repeat(64) + "\n");

    assertThat(run(dist, Map.of(), "--version").out().strip()).isEqualTo(versionLine);
    assertThat(archiveKey()).as("dumped again").isNotEqualTo(dumped);
    assertThat(stamp()).endsWith(" " + "0".repeat(64));
  }

  /** Jars written again as they were (a copy over the installation) keep the archive. */
  @Test
  void jarsWrittenAgainAsTheyWereKeepTheArchive() throws Exception {
    FileTime dumped = archiveKey();
    try (Stream<Path> jars = Files.list(lib)) {
      for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
        FileTime date = Files.getLastModifiedTime(jar);
        Files.write(jar, Files.readAllBytes(jar));
        Files.setLastModifiedTime(jar, date);
      }
    }
    List<String> shared = sharedClasses(dist);
    assertThat(shared).anyMatch(l -> l.contains("dev.hearth.cli.Main "));
    assertThat(archiveKey()).as("not dumped again").isEqualTo(dumped);
  }

  /** Without the digest nothing tells a rebuilt jar: the commands run, without an archive. */
  @Test
  void aDistributionWithoutTheDigestRunsWithoutAnArchive() throws Exception {
    Files.delete(lib.resolve("hearth.jars"));
    assertThat(sharedClasses(dist)).noneMatch(l -> l.contains("dev.hearth.cli.Main "));
    Run r = run(dist, Map.of(), "--version");
    assertThat(r.exitCode()).isZero();
    assertThat(r.err()).isEmpty();
  }

  @Test
  void aMovedDistributionDumpsItsOwnArchive() throws Exception {
    Path moved = copy(dist, dir.resolve("moved"));
    Files.copy(
        lib.resolve("hearth.jsa"),
        moved.resolve("lib/hearth.jsa"),
        StandardCopyOption.COPY_ATTRIBUTES);
    Files.copy(
        lib.resolve("hearth.jsa.stamp"),
        moved.resolve("lib/hearth.jsa.stamp"),
        StandardCopyOption.COPY_ATTRIBUTES);

    assertThat(sharedClasses(moved)).anyMatch(l -> l.contains("dev.hearth.cli.Main "));
    assertThat(Files.readAllLines(moved.resolve("lib/hearth.jsa.stamp")).get(0))
        .startsWith(moved.resolve("lib") + " ");
  }

  /**
   * The launcher finds its folder from a relative path (through cd) and through a symlink (through
   * readlink) as from an absolute one (by cutting the path at /bin): the same lib/, so the same
   * archive.
   */
  @Test
  void theLauncherFindsItsFolderFromARelativePathAndThroughASymlink() throws Exception {
    FileTime dumped = archiveKey();
    Path link = Files.createSymbolicLink(dir.resolve("hearth-link"), dist.resolve("bin/hearth"));
    for (ProcessBuilder pb :
        List.of(
            new ProcessBuilder("./hearth", "--version").directory(dist.resolve("bin").toFile()),
            new ProcessBuilder("../bin/hearth", "--version")
                .directory(dist.resolve("lib").toFile()),
            new ProcessBuilder(link.toString(), "--version"))) {
      pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
      pb.redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile());
      Process p = pb.start();
      assertThat(p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).as("%s", pb.command()).isTrue();
      assertThat(Files.readString(dir.resolve("out")).strip())
          .as("%s", pb.command())
          .isEqualTo(versionLine);
      assertThat(stamp()).as("%s", pb.command()).startsWith(lib + " ");
      assertThat(archiveKey()).as("%s: not dumped again", pb.command()).isEqualTo(dumped);
    }
  }

  /** An archive that the stamp calls fresh but the JVM cannot use only costs speed. */
  @Test
  void anArchiveTheJvmRefusesIsIgnoredSilently() throws Exception {
    Path other = copy(dist, dir.resolve("other"));
    run(other, Map.of(), "--version");
    for (byte[] archive :
        List.of(
            Files.readAllBytes(other.resolve("lib/hearth.jsa")), // another class path
            "not an archive".getBytes(StandardCharsets.UTF_8))) {
      Files.write(lib.resolve("hearth.jsa"), archive);
      FileTime planted = archiveKey();

      Run r = run(dist, Map.of(), "--version");
      assertThat(r.exitCode()).isZero();
      assertThat(r.out().strip()).isEqualTo(versionLine);
      assertThat(r.err()).isEmpty();
      assertThat(archiveKey()).isEqualTo(planted);
    }
  }

  /**
   * The commands people run most, against a daemon, take every class of hearth and its libraries
   * from the archive: a class that the build's training run (ClassListTraining) missed costs every
   * run a search through lib/'s jars, about a tenth of the command. The stand-in answers as a real
   * daemon does, with other values than the training's.
   */
  @Test
  void versionAndVmListAgainstADaemonLoadNoClassFromAJar() throws Exception {
    Path socket = dir.resolve("hearth.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      Thread daemon = new Thread(() -> serve(server), "stand-in-daemon");
      daemon.setDaemon(true);
      daemon.start();
      Path log = dir.resolve("classes.log");
      for (List<String> args : List.of(List.of("version"), List.of("vm", "list"))) {
        Files.deleteIfExists(log);
        List<String> argv = new ArrayList<>(List.of("--socket", socket.toString()));
        argv.addAll(args);
        Run r =
            run(
                dist,
                Map.of("HEARTH_JAVA_OPTS", "-Xlog:class+load=info:file=" + log),
                argv.toArray(String[]::new));
        assertThat(r.exitCode()).as("hearth %s: %s", args, r.err()).isZero();
        assertThat(r.out()).contains(args.size() == 1 ? "Daemon:" : "stand-in-stopped");
        assertThat(Files.readAllLines(log))
            .as("classes that hearth %s loaded from a jar of lib/", String.join(" ", args))
            .noneMatch(l -> l.contains("source: file:") || l.contains("source: jar:"));
      }
    }
  }

  private static final Pattern REQUEST =
      Pattern.compile("\\\"id\\\":(\\d+).*\\\"method\\\":\\\"([a-z.]+)\\\"");

  private static final String VERSION =
      "{\"version\":\"0.9.1\",\"protocol_version\":1,\"java_version\":\"17.0.15+6-Debian-1deb12u1\","
          + "\"pid\":31337,\"vmm\":{\"kind\":\"qemu\",\"path\":\"/usr/lib/hearth/bin/"
          + "hearth-qemu-firecracker\",\"reason\":\"no executable 'firecracker' on PATH (looked"
          + " in /root/.local/bin, /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin,"
          + " /bin, /snap/bin) and /dev/kvm cannot run the guest's kernel (KVM_CREATE_VM failed),"
          + " so VMs run under QEMU with software emulation through /usr/lib/hearth/bin/"
          + "hearth-qemu-firecracker\"}}";

  private static final String VMS =
      "{\"vms\":[{\"id\":\"a1b2c3d4e5f60718\",\"name\":\"stand-in-running\","
          + "\"state\":\"running\",\"ip\":\"172.31.250.2\",\"mac\":\"06:00:ac:1f:fa:02\","
          + "\"tap\":\"htap3\",\"image\":\"debian-bookworm-dev\",\"vcpus\":4,"
          + "\"memory_mib\":8192,\"disk_size_bytes\":53687091200,\"provisioner\":\"copy\","
          + "\"created_at\":\"2026-11-30T17:45:12.001Z\",\"pid\":99817,\"vmm\":\"qemu\"},"
          + "{\"id\":\"0f1e2d3c4b5a6978\",\"name\":\"stand-in-stopped\",\"state\":\"error\","
          + "\"ip\":\"172.31.250.3\",\"mac\":\"06:00:ac:1f:fa:03\",\"tap\":\"htap4\","
          + "\"image\":\"base\",\"vcpus\":1,\"memory_mib\":256,\"disk_size_bytes\":1073741824,"
          + "\"provisioner\":\"copy\",\"created_at\":\"2026-12-01T00:00:00Z\",\"error\":"
          + "\"the VMM exited with status 137 while the guest booted; its log ends: qemu-system-x86_64:"
          + " terminating on signal 9 from pid 1\"}]}";

  /** Answers daemon.version and vm.list, line by line, until the socket closes. */
  private static void serve(ServerSocketChannel server) {
    while (server.isOpen()) {
      try (SocketChannel peer = server.accept()) {
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
          ByteArrayOutputStream line = new ByteArrayOutputStream();
          while (peer.read(one.clear()) > 0 && one.get(0) != '\n') {
            line.write(one.get(0));
          }
          Matcher request = REQUEST.matcher(line.toString(StandardCharsets.UTF_8));
          if (!request.find()) {
            break; // the command hung up
          }
          String result = request.group(2).equals("vm.list") ? VMS : VERSION;
          String reply =
              "{\"jsonrpc\":\"2.0\",\"id\":" + request.group(1) + ",\"result\":" + result + "}\n";
          Channels.newOutputStream(peer).write(reply.getBytes(StandardCharsets.UTF_8));
        }
      } catch (IOException closed) {
        return; // the test is over
      }
    }
  }

  /** A JDK without the relocation option gets the archive without it. */
  @Test
  void aJdkThatRefusesTheRelocationOptionRunsWithoutIt() throws Exception {
    Path jdk = fakeJdk("*' -XX:ArchiveRelocationMode=0 '*) echo refused >&2; exit 1 ;;");
    Map<String, String> env = Map.of("JAVA_HOME", jdk.toString());
    for (int i = 0; i < 2; i++) {
      Run r = run(dist, env, "--version");
      assertThat(r.exitCode()).isZero();
      assertThat(r.out().strip()).isEqualTo(versionLine);
      assertThat(r.err()).isEmpty();
    }
    assertThat(stamp()).startsWith(lib + " " + jdk.resolve("bin/java") + " ");
    assertThat(Files.readAllLines(lib.resolve("hearth.jsa.stamp")).get(1)).isEmpty();
    assertThat(lib.resolve("hearth.jsa")).isNotEmptyFile();
  }

  /**
   * A JDK folder whose bin/java runs the real one, except that it fails the calls {@code caseArm}
   * (a shell case pattern and its action) matches.
   */
  private Path fakeJdk(String caseArm) throws IOException {
    Path jdk = dir.resolve("jdk");
    Files.createDirectories(jdk.resolve("bin"));
    Path javaHome = Path.of(System.getProperty("java.home"));
    Files.copy(javaHome.resolve("release"), jdk.resolve("release"));
    Path java = jdk.resolve("bin/java");
    Files.writeString(
        java,
        "#!/bin/sh\n"
            + "case \" $* \" in\n"
            + "  "
            + caseArm
            + "\n"
            + "esac\n"
            + "exec "
            + javaHome.resolve("bin/java")
            + " \"$@\"\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    return jdk;
  }

  /** A JDK whose dump fails still runs every command; the failure is not retried each time. */
  @Test
  void aFailedDumpIsRecordedAndNotRetried() throws Exception {
    Path dumps = dir.resolve("dumps");
    Path jdk = fakeJdk("*' -Xshare:dump '*) echo dump >>" + dumps + "; exit 1 ;;");
    Path java = jdk.resolve("bin/java");
    Map<String, String> env = Map.of("JAVA_HOME", jdk.toString());

    for (int i = 0; i < 2; i++) {
      Run r = run(dist, env, "--version");
      assertThat(r.exitCode()).isZero();
      assertThat(r.out().strip()).isEqualTo(versionLine);
      assertThat(r.err()).isEmpty();
    }
    assertThat(Files.readAllLines(dumps)).containsExactly("dump");
    assertThat(stamp()).startsWith("failed " + lib + " " + java + " ");
    assertThat(lib.resolve("hearth.jsa")).doesNotExist();
    try (Stream<Path> files = Files.list(lib)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
  }
}
