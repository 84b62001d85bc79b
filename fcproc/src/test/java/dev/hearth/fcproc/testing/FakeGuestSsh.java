package dev.hearth.fcproc.testing;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;

/**
 * The guest a fake firecracker emulates when {@link FakeFirecracker#GUEST_SSH_PROPERTY} is set: the
 * guest's address as a local /32 on the VM's TAP, and an SSH server on it that lets root in with
 * any public key and runs {@code true}, {@code poweroff} and nothing else. Its host key is the one
 * on the guest's root disk ({@code /etc/ssh/ssh_host_ed25519_key}, read with debugfs) when there is
 * one, as the guest's sshd would use, else a new one.
 *
 * <p>A local address on a TAP is reachable from the host even though nothing holds the TAP open (no
 * carrier): the kernel puts it in the local routing table, which goes over {@code lo}, as long as
 * the link is administratively up. So a daemon on the host reaches "the guest" at its real address
 * through its real SSH client.
 */
public final class FakeGuestSsh implements Closeable {
  public static final int PORT = 22;

  /** Printed to the console when an SSH client runs {@code poweroff}, before the fake exits. */
  public static final String POWEROFF_LINE = "reboot: Power down";

  /** Printed to the console with the public key each time a client offers a new one. */
  public static final String KEY_LINE_PREFIX = "hearth fake guest: root offered key ";

  private static final Pattern IPV4 =
      Pattern.compile("((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)");

  private final Runner runner;
  private final String address;
  private final String tap;
  private final PrintStream console;
  private final Runnable onPowerOff;
  private final Set<String> keysSeen = ConcurrentHashMap.newKeySet();
  private final Optional<Path> rootDisk;
  private SshServer server;
  private boolean addressAdded;
  private boolean closed;

  private FakeGuestSsh(
      Runner runner,
      String ip,
      String tap,
      PrintStream console,
      Runnable onPowerOff,
      Optional<Path> rootDisk) {
    this.runner = runner;
    this.rootDisk = rootDisk;
    this.address = ip + "/32";
    this.tap = tap;
    this.console = console;
    this.onPowerOff = onPowerOff;
  }

  /**
   * Adds {@code ip/32} to the TAP (brought up first) and serves SSH on {@code ip:22}. On failure
   * whatever was set up is undone before the exception is thrown.
   *
   * @param onPowerOff run on a thread of its own after {@code poweroff} has exited 0
   * @throws IOException naming the step, the command and its error
   */
  public static FakeGuestSsh start(
      Runner runner,
      String ip,
      String tap,
      PrintStream console,
      Runnable onPowerOff,
      Optional<Path> rootDisk)
      throws IOException, InterruptedException {
    return start(runner, ip, PORT, tap, console, onPowerOff, rootDisk);
  }

  /** The same with a new host key. */
  static FakeGuestSsh start(
      Runner runner, String ip, int port, String tap, PrintStream console, Runnable onPowerOff)
      throws IOException, InterruptedException {
    return start(runner, ip, port, tap, console, onPowerOff, Optional.empty());
  }

  /** The same on another port (0: any free one), for tests that cannot bind port 22. */
  static FakeGuestSsh start(
      Runner runner,
      String ip,
      int port,
      String tap,
      PrintStream console,
      Runnable onPowerOff,
      Optional<Path> rootDisk)
      throws IOException, InterruptedException {
    if (!IPV4.matcher(ip).matches()) {
      throw new IOException("the guest address '" + ip + "' is not an IPv4 address");
    }
    FakeGuestSsh guest = new FakeGuestSsh(runner, ip, tap, console, onPowerOff, rootDisk);
    try {
      guest.setUp(ip, port);
    } catch (IOException | InterruptedException | RuntimeException e) {
      guest.close();
      throw e;
    }
    return guest;
  }

  /** The guest IP from the kernel command line's {@code ip=} (its first field), or null. */
  public static String guestIp(String bootArgs) {
    for (String word : bootArgs.trim().split("\\s+")) {
      if (word.startsWith("ip=")) {
        return word.substring(3).split(":", -1)[0];
      }
    }
    return null;
  }

  /** The port the SSH server listens on. */
  public synchronized int port() {
    return server.getPort();
  }

  private synchronized void setUp(String ip, int port) throws IOException, InterruptedException {
    ip("could not bring TAP " + tap + " up", "link", "set", "dev", tap, "up");
    // replace, not add: a fake that was SIGKILLed leaves its address on the TAP.
    ip("could not add " + address + " to TAP " + tap, "addr", "replace", address, "dev", tap);
    addressAdded = true;
    server = SshServer.setUpDefaultServer();
    server.setHost(ip);
    server.setPort(port);
    server.setKeyPairProvider(KeyPairProvider.wrap(hostKey()));
    server.setPublickeyAuthenticator(
        (user, key, session) -> {
          if (keysSeen.add(keyLine(key))) {
            console.println(KEY_LINE_PREFIX + keyLine(key));
            console.flush();
          }
          return user.equals("root");
        });
    server.setKeyboardInteractiveAuthenticator(null);
    server.setCommandFactory((channel, command) -> new GuestCommand(command));
    try {
      server.start();
    } catch (IOException e) {
      throw new IOException("could not serve SSH on " + ip + ":" + port + ": " + e.getMessage(), e);
    }
  }

  /** Stops the SSH server and removes the address; safe to call twice. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (server != null) {
      try {
        server.stop(true);
      } catch (IOException e) {
        console.println("hearth fake guest: could not stop the SSH server: " + e.getMessage());
      }
    }
    if (addressAdded) {
      removeAddress();
    }
    console.flush();
  }

  private void removeAddress() {
    try {
      CommandResult r = runner.run(Command.of("ip", "addr", "del", address, "dev", tap));
      // The daemon may have deleted the TAP first, and the address with it.
      if (!r.ok() && !r.stderr().contains("Cannot find device")) {
        console.println(
            "hearth fake guest: could not remove "
                + address
                + " from TAP "
                + tap
                + ": "
                + r.stderr().strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      console.println("hearth fake guest: interrupted while removing " + address + " from " + tap);
    }
  }

  private void ip(String doing, String... args) throws IOException, InterruptedException {
    Command command = Command.of("ip", args);
    CommandResult r = runner.run(command);
    if (!r.ok()) {
      throw new IOException(
          doing + ": `" + command + "` exited " + r.exitCode() + ": " + r.stderr().strip());
    }
  }

  /** The disk's ed25519 host key when debugfs finds one there, else a new ECDSA key. */
  private KeyPair hostKey() throws IOException, InterruptedException {
    if (rootDisk.isPresent()) {
      CommandResult r =
          runner.run(
              Command.of(
                  "debugfs", "-R", "cat /etc/ssh/ssh_host_ed25519_key", rootDisk.get().toString()));
      if (r.ok() && r.stdout().contains("OPENSSH PRIVATE KEY")) {
        try (InputStream in =
            new ByteArrayInputStream(r.stdout().getBytes(StandardCharsets.US_ASCII))) {
          for (KeyPair pair :
              SecurityUtils.loadKeyPairIdentities(
                  null, NamedResource.ofName("ssh_host_ed25519_key"), in, null)) {
            return pair;
          }
        } catch (GeneralSecurityException e) {
          throw new IOException("could not read the disk's host key: " + e.getMessage(), e);
        }
      }
    }
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(256);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IOException("could not generate an ECDSA host key: " + e.getMessage(), e);
    }
  }

  private static String keyLine(PublicKey key) {
    return PublicKeyEntry.toString(key);
  }

  /** One exec request: {@code true}, {@code poweroff}, or "not found". */
  private final class GuestCommand implements org.apache.sshd.server.command.Command {
    private final String line;
    private OutputStream err;
    private ExitCallback exit;

    GuestCommand(String line) {
      this.line = line;
    }

    @Override
    public void setInputStream(InputStream in) {}

    @Override
    public void setOutputStream(OutputStream out) {}

    @Override
    public void setErrorStream(OutputStream err) {
      this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback callback) {
      this.exit = callback;
    }

    @Override
    public void start(ChannelSession channel, Environment env) throws IOException {
      switch (line.strip()) {
        case "true" -> exit.onExit(0);
        case "poweroff" -> {
          exit.onExit(0);
          Thread halt = new Thread(onPowerOff, "fake-guest-poweroff");
          halt.start();
        }
        default -> {
          err.write(
              ("sh: 1: "
                      + line
                      + ": not found (the hearth fake guest runs only true and"
                      + " poweroff)\n")
                  .getBytes(StandardCharsets.UTF_8));
          err.flush();
          exit.onExit(127, "command not found");
        }
      }
    }

    @Override
    public void destroy(ChannelSession channel) {}
  }
}
