package dev.hearth.daemon;

import dev.hearth.imagemgr.GuestIdentity;
import dev.hearth.session.GuestPowerOff;
import dev.hearth.session.GuestSshTimeoutException;
import dev.hearth.session.SshWaiter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The guest seams for tests: identity writes are recorded, SSH answers at once. Failures are
 * injected per VM host name; SSH can be held while a file exists (so that another JVM's daemon can
 * be caught in its wait-ssh stage).
 */
final class FakeGuest implements GuestIdentity, SshWaiter, GuestPowerOff {
  /** One identity write. */
  record Identity(Path rootDisk, String hostname, String ipCidr, String gateway) {}

  private final List<Identity> identities = new CopyOnWriteArrayList<>();
  private final Path holdSshWhileExists;
  private volatile String failIdentityOf = "";
  private volatile String failSshOf = "";
  private volatile Runnable onIdentity = () -> {};
  private final List<String> powerOffs = new CopyOnWriteArrayList<>();
  private volatile Consumer<String> onPowerOff = ip -> {};

  FakeGuest(Path holdSshWhileExists) {
    this.holdSshWhileExists = holdSshWhileExists;
  }

  void failIdentityOf(String hostname) {
    failIdentityOf = hostname;
  }

  void failSshOf(String ip) {
    failSshOf = ip;
  }

  /** Runs during each identity write, before it returns. */
  void onIdentity(Runnable action) {
    onIdentity = action;
  }

  /** Runs for each poweroff request with the guest's IP; by default the guest ignores it. */
  void onPowerOff(Consumer<String> action) {
    onPowerOff = action;
  }

  /** The IPs of the guests asked to power off, in order. */
  List<String> powerOffs() {
    return List.copyOf(powerOffs);
  }

  @Override
  public void powerOff(String ip, int port, Duration timeout) {
    powerOffs.add(ip);
    onPowerOff.accept(ip);
  }

  List<Identity> identities() {
    return List.copyOf(identities);
  }

  /** The host key line every fake identity write returns. */
  static final String HOST_KEY =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx0dz5BGzRf7cM9nH1x8b1v3mS1Dq5g0Zb6k8wz2zRq root@fake";

  @Override
  public String write(
      Path rootDisk,
      String hostname,
      String ipCidr,
      String gateway,
      String dnsServer,
      String authorizedKey) {
    if (hostname.equals(failIdentityOf)) {
      throw new DaemonException("debugfs could not write /etc/hostname: injected failure");
    }
    if (!Files.exists(rootDisk)) {
      throw new DaemonException("no root disk at " + rootDisk);
    }
    identities.add(new Identity(rootDisk, hostname, ipCidr, gateway));
    onIdentity.run();
    return HOST_KEY;
  }

  @Override
  public void await(String ip, int port, Duration timeout) throws InterruptedException {
    if (ip.equals(failSshOf)) {
      throw new GuestSshTimeoutException("root@" + ip + ":" + port, timeout, "injected failure");
    }
    // Held while the test's file exists, but never past the timeout, as the real wait.
    long deadline = System.nanoTime() + timeout.toNanos();
    while (Files.exists(holdSshWhileExists)) {
      if (System.nanoTime() - deadline > 0) {
        throw new GuestSshTimeoutException(
            "root@" + ip + ":" + port, timeout, "held by " + holdSshWhileExists);
      }
      Thread.sleep(50);
    }
  }
}
