package dev.hearth.daemon.internal.guest;

import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.testing.Await;
import dev.hearth.fcproc.net.Ipv4Cidr;
import dev.hearth.fcproc.testing.TestNetwork;
import dev.hearth.session.testing.TestSshd;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH sshd standing in for a guest: {@code sshd -D -e} inside a fresh network namespace
 * reached over a veth pair (unique names, an address pair in a 10.213.x.0/24 that none of the
 * host's routes or addresses overlaps), its own host key, root login with the given key only, no
 * PAM, and an empty folder over /root ({@link TestSshd#withEmptyRootHome}). {@link #close()} kills
 * every process in the namespace, then removes the namespace and the veth pair, whatever state it
 * got to.
 */
public final class NetnsSshd implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String namespace;
  private final String hostVeth;
  private final String hostIp;
  private final String guestIp;
  private final Path dir;
  private Process sshd;

  private NetnsSshd(String suffix, Path dir, Ipv4Cidr network) {
    this.namespace = "hio-" + suffix;
    this.hostVeth = "hio" + suffix + "h";
    this.hostIp = network.gateway().toString();
    this.guestIp = network.gateway().plus(1).toString();
    this.dir = dir;
  }

  /** Starts sshd letting root in with {@code authorizedKey}; waits until it accepts connections. */
  public static NetnsSshd start(Path dir, String authorizedKey)
      throws IOException, InterruptedException {
    String suffix = Long.toString(RANDOM.nextInt(Integer.MAX_VALUE), 36);
    Ipv4Cidr network =
        TestNetwork.freeNetwork(new ProcessRunner(Posix.system(), Clock.system()), 213);
    NetnsSshd fixture = new NetnsSshd(suffix, dir, network);
    try {
      fixture.startNetwork(suffix);
      fixture.startSshd(authorizedKey);
      return fixture;
    } catch (IOException | InterruptedException | RuntimeException e) {
      fixture.close();
      throw e;
    }
  }

  /** The address the daemon dials: the namespace's end of the veth pair. */
  public String host() {
    return guestIp;
  }

  public int port() {
    return 22;
  }

  /** The pids of the processes in the namespace (sshd and whatever it started). */
  public List<Long> pids() throws IOException, InterruptedException {
    List<Long> pids = new ArrayList<>();
    for (String line : run("ip", "netns", "pids", namespace).split("\n")) {
      if (!line.isBlank()) {
        pids.add(Long.parseLong(line.trim()));
      }
    }
    return pids;
  }

  /** The command lines of the namespace's processes, NULs as spaces. */
  public List<String> commandLines() throws IOException, InterruptedException {
    List<String> lines = new ArrayList<>();
    for (long pid : pids()) {
      try {
        byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
        lines.add(new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim());
      } catch (IOException gone) {
        // It ended between the listing and the read.
      }
    }
    return lines;
  }

  /** What sshd logged so far. */
  public String log() throws IOException {
    Path log = dir.resolve("sshd.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  private void startNetwork(String suffix) throws IOException, InterruptedException {
    String guestVeth = "hio" + suffix + "g";
    run("ip", "netns", "add", namespace);
    run("ip", "link", "add", hostVeth, "type", "veth", "peer", "name", guestVeth);
    run("ip", "link", "set", guestVeth, "netns", namespace);
    run("ip", "addr", "add", hostIp + "/30", "dev", hostVeth);
    run("ip", "link", "set", hostVeth, "up");
    run("ip", "-n", namespace, "addr", "add", guestIp + "/30", "dev", guestVeth);
    run("ip", "-n", namespace, "link", "set", guestVeth, "up");
    run("ip", "-n", namespace, "link", "set", "lo", "up");
  }

  private void startSshd(String authorizedKey) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege separation folder
    Path hostKey = dir.resolve("host_ecdsa_key");
    // ECDSA: MINA without an ed25519 provider cannot check ed25519 host signatures.
    run("ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", hostKey.toString());
    Path authorizedKeys = dir.resolve("authorized_keys");
    Files.writeString(authorizedKeys, authorizedKey + "\n");
    Path config = dir.resolve("sshd_config");
    Files.write(
        config,
        List.of(
            "Port 22",
            "ListenAddress " + guestIp,
            "HostKey " + hostKey,
            "AuthorizedKeysFile " + authorizedKeys,
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "StrictModes no",
            "UsePAM no",
            "LogLevel VERBOSE",
            "PidFile " + dir.resolve("sshd.pid")));
    Path home = Files.createDirectories(dir.resolve("root-home"));
    sshd =
        new ProcessBuilder(
                TestSshd.withEmptyRootHome(
                    home,
                    List.of(
                        "ip",
                        "netns",
                        "exec",
                        namespace,
                        sshdBinary(),
                        "-D",
                        "-e",
                        "-f",
                        config.toString())))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("sshd.log").toFile())
            .start();
    awaitListening();
  }

  private void awaitListening() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!sshd.isAlive()) {
        throw new IOException("sshd exited with " + sshd.exitValue() + ": " + log());
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(guestIp, 22), 1000);
        return;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          throw new IOException("sshd did not listen on " + guestIp + ":22 in 60 s: " + log());
        }
        Thread.sleep(50);
      }
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    List<String> failures = new ArrayList<>();
    if (namespaceExists()) {
      // sshd's per-connection children outlive the listener: every process in the namespace goes.
      for (int round = 0; round < 50 && !pidsQuietly().isEmpty(); round++) {
        for (long pid : pidsQuietly()) {
          Await.exit(
              new ProcessBuilder("kill", "-9", Long.toString(pid)).start(),
              Await.DEFAULT,
              "kill -9 " + pid);
        }
        Thread.sleep(20);
      }
    }
    if (sshd != null) {
      sshd.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    // The veth pair first, while its other end still sits in the namespace: deleting the namespace
    // would delete the pair too, but a moment later, and a delete of our own would then race it.
    if (linkExists(hostVeth)) {
      runQuietly(failures, "ip", "link", "del", hostVeth);
    }
    if (namespaceExists()) {
      runQuietly(failures, "ip", "netns", "del", namespace);
    }
    if (!failures.isEmpty()) {
      throw new IOException("cleaning up " + namespace + " failed: " + failures);
    }
  }

  /** Whether the namespace or the host's veth end still exist (for leak checks). */
  public boolean leftovers() throws IOException, InterruptedException {
    return namespaceExists() || linkExists(hostVeth);
  }

  private List<Long> pidsQuietly() throws InterruptedException {
    try {
      return pids();
    } catch (IOException e) {
      return List.of();
    }
  }

  private boolean namespaceExists() {
    return Files.exists(Path.of("/run/netns", namespace));
  }

  private static boolean linkExists(String name) {
    return Files.exists(Path.of("/sys/class/net", name));
  }

  private static void runQuietly(List<String> failures, String... argv)
      throws InterruptedException {
    try {
      run(argv);
    } catch (IOException e) {
      failures.add(e.getMessage());
    }
  }

  private static String run(String... argv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    p.getOutputStream().close();
    Await.Output o = Await.output(p, Await.DEFAULT, String.join(" ", argv));
    String out = o.stdout();
    int code = o.exitCode();
    if (code != 0) {
      throw new IOException(String.join(" ", argv) + " failed with exit code " + code + ": " + out);
    }
    return out;
  }

  private static String sshdBinary() {
    for (String candidate : List.of("/usr/sbin/sshd", "/sbin/sshd", "/usr/local/sbin/sshd")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    throw new IllegalStateException("no sshd binary in /usr/sbin, /sbin or /usr/local/sbin");
  }
}
