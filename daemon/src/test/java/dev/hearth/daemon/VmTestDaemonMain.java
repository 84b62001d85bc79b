package dev.hearth.daemon;

import dev.hearth.core.Config;
import java.nio.file.Path;

/**
 * Runs a test daemon in its own JVM, so that a test can SIGKILL it for real: {@code <test dir>}
 * holds the state and runtime folders, the fake firecracker script, the fake host network and the
 * SSH hold file, laid out as {@link VmFixture} does.
 */
public final class VmTestDaemonMain {
  private VmTestDaemonMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Config config = VmFixture.config(dir);
    FakeGuest guest = new FakeGuest(dir.resolve("hold-ssh"));
    Daemon.Seams seams =
        Daemon.Seams.system().withVm(new FakeHostNetwork(dir.resolve("net")), guest, guest);
    Daemon daemon = Daemon.open(config, seams);
    Runtime.getRuntime().addShutdownHook(new Thread(daemon::close));
    daemon.serve();
  }
}
