package dev.hearth.session.testing;

import dev.hearth.core.testing.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH sshd on 127.0.0.1 for host tests: its own host key, config, authorized_keys and
 * pid file in a temp folder, an empty folder over /root ({@link #withEmptyRootHome}), run in the
 * foreground so that the test owns the process.
 */
public final class TestSshd implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final int port;

  private TestSshd(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /**
   * A local port reserved and refusing connections while the socket stays open: bound, never
   * listening, so that no other process can take it meanwhile.
   */
  public static Socket refusingPort() throws IOException {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return socket;
  }

  /** Waits until sshd accepts TCP connections (not yet a handshake); fails if it exited. */
  public void awaitListening() throws Exception {
    Await.until(
        "sshd to listen on 127.0.0.1:" + port,
        () -> {
          if (!process.isAlive()) {
            throw new AssertionError("sshd exited with " + process.exitValue() + ": " + log());
          }
          try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
          } catch (IOException notYet) {
            return false;
          }
        });
  }

  /**
   * The argv that runs {@code command} in a mount namespace of its own with the empty folder {@code
   * home} over /root. An sshd started so logs root in as on a fresh guest: bash sources ~/.bashrc
   * even for the commands sshd runs, and this host's root's (or a CI machine's) may do anything,
   * such as waiting a minute for a lock of a tool it initialises.
   */
  public static List<String> withEmptyRootHome(Path home, List<String> command) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                "mount --bind \"$0\" /root && exec \"$@\"",
                home.toString()));
    argv.addAll(command);
    return argv;
  }

  /** A port nothing listens on right now. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * Starts sshd on {@code port} letting in root with {@code authorizedKey}. The host key is ECDSA:
   * MINA without an ed25519 provider cannot check ed25519 host signatures.
   */
  public static TestSshd start(Path dir, int port, String authorizedKey)
      throws IOException, InterruptedException {
    return start(dir, port, authorizedKey, List.of());
  }

  /**
   * As {@link #start(Path, int, String)}, with more {@code sshd_config} lines (a {@code
   * ForceCommand} plays a guest whose commands misbehave).
   */
  public static TestSshd start(Path dir, int port, String authorizedKey, List<String> moreConfig)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    // sshd's privilege separation folder.
    Files.createDirectories(Path.of("/run/sshd"));
    Path hostKey = dir.resolve("host_ecdsa_key");
    if (!Files.exists(hostKey)) {
      Process keygen =
          new ProcessBuilder("ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", hostKey.toString())
              .redirectErrorStream(true)
              .start();
      keygen.getOutputStream().close();
      Await.Output out = Await.output(keygen, Await.DEFAULT, "ssh-keygen of the host key");
      if (out.exitCode() != 0) {
        throw new IOException("ssh-keygen failed: " + out.stdout());
      }
    }
    Path authorizedKeys = dir.resolve("authorized_keys");
    Files.writeString(authorizedKeys, authorizedKey + "\n");
    Path config = dir.resolve("sshd_config");
    List<String> lines =
        new ArrayList<>(
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
    lines.addAll(moreConfig);
    Files.write(config, lines);
    Path log = dir.resolve("sshd.log");
    Path home = Files.createDirectories(dir.resolve("root-home"));
    Process process =
        new ProcessBuilder(
                withEmptyRootHome(home, List.of(sshdBinary(), "-D", "-e", "-f", config.toString())))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    return new TestSshd(process, log, port);
  }

  /** What sshd logged so far. */
  public String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    Optional<String> namespace = ownNamespace();
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      Await.exit(process.destroyForcibly(), Await.DEFAULT, "the SIGKILLed sshd");
    }
    // What its connections run (a hanging guest's sleep, one that began while the test ended)
    // outlives the listener, reparented, but stays in its mount namespace, which none of them
    // leaves: killed until none is left, children forked meanwhile included.
    if (namespace.isPresent()) {
      long deadline = System.nanoTime() + Await.DEFAULT.toNanos();
      for (List<ProcessHandle> left = processesIn(namespace.get());
          !left.isEmpty();
          left = processesIn(namespace.get())) {
        if (System.nanoTime() - deadline > 0) {
          throw new AssertionError(
              "processes of sshd's mount namespace "
                  + namespace.get()
                  + " outlived SIGKILL: "
                  + left);
        }
        left.forEach(ProcessHandle::destroyForcibly);
        Thread.sleep(20);
      }
    }
  }

  /**
   * The mount namespace sshd runs in, when it is one of its own: never the test's, whose every
   * process {@link #close} would otherwise kill.
   */
  private Optional<String> ownNamespace() {
    Optional<String> ours = mountNamespace(ProcessHandle.current().pid());
    return mountNamespace(process.pid()).filter(ns -> ours.isPresent() && !ns.equals(ours.get()));
  }

  private static List<ProcessHandle> processesIn(String namespace) {
    return ProcessHandle.allProcesses()
        .filter(p -> mountNamespace(p.pid()).filter(namespace::equals).isPresent())
        .toList();
  }

  private static Optional<String> mountNamespace(long pid) {
    try {
      return Optional.of(
          Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns/mnt")).toString());
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty(); // gone, or not ours to read
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
