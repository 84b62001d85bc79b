package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.BuildInfo;
import dev.hearth.daemon.Hearth;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a short command sets up, seen from the classes its JVM loads: {@code hearth version} against
 * a daemon loads no ObjectMapper and no logback (their set-up would cost more than the rest of the
 * command); {@code --json} does need the mapper.
 */
class StartupPathTest {
  /** Bounds for a loaded machine; they only stop a hung test. */
  private static final long WAIT_SECONDS = 120;

  private static final String MAPPER = "com.fasterxml.jackson.databind.ObjectMapper ";
  private static final String LOGBACK = "ch.qos.logback.";

  private Path dir;
  private ServerSocketChannel server;
  private Thread daemon;

  @BeforeEach
  void startFakeDaemon() throws IOException {
    dir = TempDirs.create();
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(dir.resolve("hearth.sock")));
    daemon = new Thread(this::serve, "fake-daemon");
    daemon.start();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    daemon.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    TempDirs.delete(dir);
  }

  /** Answers every daemon.version request of every connection, until the socket closes. */
  private void serve() {
    while (server.isOpen()) {
      try (SocketChannel peer = server.accept()) {
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
          ByteArrayOutputStream line = new ByteArrayOutputStream();
          while (peer.read(one.clear()) > 0 && one.get(0) != '\n') {
            line.write(one.get(0));
          }
          if (line.size() == 0) {
            break;
          }
          String id = Json.text(Json.parse(line.toString(StandardCharsets.UTF_8)), "id");
          String reply =
              "{\"jsonrpc\":\"2.0\",\"id\":"
                  + id
                  + ",\"result\":{\"version\":\"9.9.9\","
                  + "\"protocol_version\":"
                  + Hearth.PROTOCOL_VERSION
                  + ",\"java_version\":\"17\",\"pid\":4242}}\n";
          Channels.newOutputStream(peer).write(reply.getBytes(StandardCharsets.UTF_8));
        }
      } catch (IOException closed) {
        return; // the test is over
      }
    }
  }

  private record Run(int exitCode, String out, List<String> loaded, List<String> exceptions) {}

  private Run run(String... args) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path log = dir.resolve("classes.log");
    Path exceptions = dir.resolve("exceptions.log");
    Path out = dir.resolve("out");
    List<String> command =
        new ArrayList<>(
            List.of(
                java.toString(),
                "-Xlog:class+load=info:file=" + log,
                "-Xlog:exceptions=info:file=" + exceptions,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "--socket",
                dir.resolve("hearth.sock").toString()));
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertThat(p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).as("hearth exited").isTrue();
    return new Run(
        p.exitValue(),
        Files.readString(out),
        Files.readAllLines(log),
        Files.readAllLines(exceptions));
  }

  @Test
  void versionSetsUpNeitherTheMapperNorLogging() throws Exception {
    Run r = run("version");
    assertThat(r.exitCode()).as(r.out()).isZero();
    assertThat(r.out()).contains(BuildInfo.version()).contains("9.9.9").contains("4242");
    assertThat(r.loaded()).as("classes loaded").noneMatch(l -> l.contains(MAPPER));
    assertThat(r.loaded()).noneMatch(l -> l.contains(LOGBACK));
    // Nothing searches the class path for what it lacks (Main.avoidClassPathSearches): no
    // service lookup, no class that is not found.
    assertThat(r.loaded()).noneMatch(l -> l.contains("java.util.ServiceLoader$LazyClassPath"));
    assertThat(r.exceptions()).noneMatch(l -> l.contains("ClassNotFoundException"));
    // Picocli's converters for types no option has (Main.UNUSED_CONVERTERS) are not registered.
    assertThat(r.loaded()).noneMatch(l -> l.contains("java.sql."));
    assertThat(r.loaded()).noneMatch(l -> l.contains("java.time.format.DateTimeFormatter "));
  }

  /**
   * The first invokedynamic string concatenation of a JVM bootstraps StringConcatFactory and spins
   * classes: the build compiles concatenation inline (the root pom), checked here on the classes a
   * CLI command runs.
   */
  @Test
  void theCommandsClassesConcatenateWithoutInvokedynamic() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    byte[] bootstrap = "makeConcatWithConstants".getBytes(StandardCharsets.US_ASCII);
    List<String> indy = new ArrayList<>();
    for (String module : List.of("core", "daemon", "cli")) {
      try (Stream<Path> files = Files.walk(root.resolve(module).resolve("target/classes"))) {
        for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
          if (contains(Files.readAllBytes(file), bootstrap)) {
            indy.add(root.relativize(file).toString());
          }
        }
      }
    }
    assertThat(indy).as("classes with indy string concatenation").isEmpty();
  }

  private static boolean contains(byte[] bytes, byte[] part) {
    for (int i = 0; i + part.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void jsonOutputDoesUseTheMapper() throws Exception {
    Run r = run("--json", "version");
    assertThat(r.exitCode()).as(r.out()).isZero();
    assertThat(Json.parse(r.out()).path("daemon").path("pid").asLong()).isEqualTo(4242);
    assertThat(r.loaded()).anyMatch(l -> l.contains(MAPPER));
  }
}
