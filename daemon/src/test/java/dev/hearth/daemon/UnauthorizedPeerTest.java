package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.daemon.internal.api.HearthClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real other user (uid 65534 through setpriv) against the peer-credential check. */
@RequiresRoot
@RequiresBinary("setpriv")
class UnauthorizedPeerTest {
  private static final int NOBODY = 65534;

  /** A JDK-only client run by the other user: sends a ping and prints the reply. */
  private static final String RAW_CLIENT =
      String.join(
          "\n",
          "import java.net.*;",
          "import java.nio.*;",
          "import java.nio.channels.*;",
          "import java.nio.charset.StandardCharsets;",
          "import java.nio.file.Path;",
          "public class RawClient {",
          "  public static void main(String[] args) throws Exception {",
          "    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);",
          "    try {",
          "      ch.connect(UnixDomainSocketAddress.of(Path.of(args[0])));",
          "    } catch (java.io.IOException e) {",
          "      System.out.println(\"CONNECT-FAILED: \" + e.getMessage());",
          "      System.exit(3);",
          "    }",
          "    String ping = \"{'jsonrpc':'2.0','id':1,'method':'daemon.ping'}\\n\"",
          "        .replace('\\'', '\"');",
          "    ch.write(ByteBuffer.wrap(ping.getBytes(StandardCharsets.UTF_8)));",
          "    ByteBuffer in = ByteBuffer.allocate(65536);",
          "    while (ch.read(in) > 0 && in.get(in.position() - 1) != '\\n') {}",
          "    System.out.print(new String(in.array(), 0, in.position(), StandardCharsets.UTF_8));",
          "  }",
          "}",
          "");

  @TempDir Path dir;
  private TestDaemons.Running daemon;
  private Path client;

  @BeforeEach
  void start() throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path clientDir = Files.createDirectory(dir.resolve("client"));
    client = clientDir.resolve("RawClient.java");
    Files.writeString(client, RAW_CLIENT, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(client, PosixFilePermissions.fromString("rw-r--r--"));
    daemon = TestDaemons.start(TestDaemons.config(dir));
  }

  @AfterEach
  void stop() throws InterruptedException {
    daemon.close();
  }

  @Test
  void anotherUserOnAnOpenSocketIsRefusedByItsCredentials() throws Exception {
    Files.setPosixFilePermissions(daemon.socket, PosixFilePermissions.fromString("rw-rw-rw-"));
    Result result = runAsNobody();
    assertThat(result.exitCode).as(result.output).isZero();
    JsonNode reply = new ObjectMapper().readTree(result.output);
    assertThat(reply.at("/error/code").intValue()).as(result.output).isEqualTo(-32005);
    assertThat(reply.at("/error/data/kind").textValue()).isEqualTo("unauthorized");
    assertThat(reply.at("/error/message").textValue())
        .startsWith("uid " + NOBODY + " may not use this hearth daemon")
        .contains("socket_group");
  }

  @Test
  void rootIsServed() {
    try (HearthClient client = HearthClient.connect(daemon.socket)) {
      client.ping();
    }
  }

  @Test
  void withTheDefaultModeAnotherUserCannotEvenConnect() throws Exception {
    assertThat(Files.getPosixFilePermissions(daemon.socket))
        .isEqualTo(PosixFilePermissions.fromString("rw-rw----"));
    Result result = runAsNobody();
    assertThat(result.exitCode).as(result.output).isEqualTo(3);
    assertThat(result.output).startsWith("CONNECT-FAILED");
  }

  private record Result(int exitCode, String output) {}

  private Result runAsNobody() throws IOException, InterruptedException {
    // A JVM compiling its source first: seconds, more on a loaded machine.
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process =
        new ProcessBuilder(
                "setpriv",
                "--reuid=" + NOBODY,
                "--regid=" + NOBODY,
                "--clear-groups",
                java.toString(),
                "-XX:-UsePerfData",
                client.toString(),
                daemon.socket.toString())
            .redirectErrorStream(true)
            .start();
    process.getOutputStream().close();
    Await.Output o = Await.output(process, Duration.ofMinutes(2), "the client run as nobody");
    return new Result(o.exitCode(), o.stdout().trim());
  }
}
