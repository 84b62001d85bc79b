package dev.hearth.daemon.internal.guest;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH sshd on 127.0.0.1 for host tests: its own host key, config, authorized_keys and
 * pid file in a temp folder, run in the foreground so that the test owns the process.
 */
final class TestSshd implements AutoCloseable {
  private final Process process;
  private final Path log;

  private TestSshd(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** A port nothing listens on right now. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * Starts sshd on {@code port} letting in root with {@code authorizedKey}. The host key is ECDSA:
   * MINA without an ed25519 provider cannot check ed25519 host signatures.
   */
  static TestSshd start(Path dir, int port, String authorizedKey)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    // sshd's privilege separation folder.
    Files.createDirectories(Path.of("/run/sshd"));
    Path hostKey = dir.resolve("host_ecdsa_key");
    if (!Files.exists(hostKey)) {
      Process keygen =
          new ProcessBuilder(
                  "ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", hostKey.toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(keygen.getInputStream().readAllBytes());
      if (keygen.waitFor() != 0) {
        throw new IOException("ssh-keygen failed: " + out);
      }
    }
    Path authorizedKeys = dir.resolve("authorized_keys");
    Files.writeString(authorizedKeys, authorizedKey + "\n");
    Path config = dir.resolve("sshd_config");
    Files.write(
        config,
        List.of(
            "Port " + port,
            "ListenAddress 127.0.0.1",
            "HostKey " + hostKey,
            "AuthorizedKeysFile " + authorizedKeys,
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "StrictModes no",
            "UsePAM no",
            "LogLevel VERBOSE",
            "PidFile " + dir.resolve("sshd.pid")));
    Path log = dir.resolve("sshd.log");
    Process process =
        new ProcessBuilder(sshdBinary(), "-D", "-e", "-f", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    return new TestSshd(process, log);
  }

  /** What sshd logged so far. */
  String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** sshd refuses to re-exec itself unless started with an absolute path. */
  private static String sshdBinary() {
    for (String candidate : List.of("/usr/sbin/sshd", "/sbin/sshd", "/usr/local/sbin/sshd")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    throw new IllegalStateException("no sshd binary in /usr/sbin, /sbin or /usr/local/sbin");
  }
}
