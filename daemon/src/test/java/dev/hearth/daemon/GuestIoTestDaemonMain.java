package dev.hearth.daemon;

import dev.hearth.core.Config;
import dev.hearth.session.GuestTarget;
import java.nio.file.Path;

/**
 * Runs a VM test daemon in its own JVM (so that a test can bound its heap) whose guests are all
 * reached at {@code <sshd host>:22}: args {@code <test dir> <sshd host>}, laid out as {@link
 * VmFixture} does.
 */
public final class GuestIoTestDaemonMain {
  private GuestIoTestDaemonMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String sshdHost = args[1];
    Config config = VmFixture.config(dir);
    FakeGuest guest = new FakeGuest(dir.resolve("hold-ssh"));
    Daemon.Seams seams =
        Daemon.Seams.system()
            .withVm(new FakeHostNetwork(dir.resolve("net")), guest, guest)
            .withGuestPowerOff(guest)
            .withGuestRoute(vm -> new GuestTarget(vm.name(), sshdHost, 22));
    Daemon daemon = Daemon.open(config, seams);
    Runtime.getRuntime().addShutdownHook(new Thread(daemon::close));
    daemon.serve();
  }
}
