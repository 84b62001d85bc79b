package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

  @Test
  void aRebuiltJarWithTheSameDateAndSizeMeansANewDump() throws Exception {
    FileTime dumped = archiveKey();
    Path core;
    try (Stream<Path> jars = Files.list(lib)) {
      core = jars.filter(p -> p.getFileName().toString().startsWith("core-")).findFirst().get();
    }
    // As a build writes it: the same fixed date, and here even the same bytes.
    FileTime date = Files.getLastModifiedTime(core);
    Files.write(core, Files.readAllBytes(core));
    Files.setLastModifiedTime(core, date);

    assertThat(run(dist, Map.of(), "--version").out().strip()).isEqualTo(versionLine);
    assertThat(archiveKey()).as("dumped again").isNotEqualTo(dumped);
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
      // Keep the stamp newer than every jar, as after a dump.
      Files.setLastModifiedTime(
          lib.resolve("hearth.jsa.stamp"), FileTime.from(Instant.now().plusSeconds(3600)));
      FileTime planted = archiveKey();

      Run r = run(dist, Map.of(), "--version");
      assertThat(r.exitCode()).isZero();
      assertThat(r.out().strip()).isEqualTo(versionLine);
      assertThat(r.err()).isEmpty();
      assertThat(archiveKey()).isEqualTo(planted);
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
