package dev.hearth.daemon;

import dev.hearth.core.Config;
import dev.hearth.core.testing.RecordingFileSync;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs a test daemon in its own JVM, so that a test can SIGKILL it for real: {@code <test dir>}
 * holds the state and runtime folders, the fake firecracker script, the fake host network and the
 * SSH hold file, laid out as {@link VmFixture} does; a file {@code hold-sync} naming a file holds
 * the daemon at that file's first sync (it writes {@code held-at} when it gets there); a file
 * {@code hold-stage} naming a stage point holds it there ({@link FileStageBarrier}, which writes
 * {@code held-at-stage}).
 */
public final class VmTestDaemonMain {
  private VmTestDaemonMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Config config = VmFixture.config(dir);
    FakeGuest guest = new FakeGuest(dir.resolve("hold-ssh"));
    Daemon.Seams seams =
        Daemon.Seams.system().withVm(new FakeHostNetwork(dir.resolve("net")), guest, guest);
    Path holdSync = dir.resolve("hold-sync");
    if (Files.exists(holdSync)) {
      // Held (to be SIGKILLed) at the first sync of the file named there; see holdAt.
      seams =
          seams.withFileSync(
              new RecordingFileSync()
                  .before(
                      RecordingFileSync.holdAt(
                          Files.readString(holdSync).strip(),
                          dir.resolve("held-at"),
                          Duration.ofSeconds(120))));
    }
    seams =
        seams.withStageBarrier(
            new FileStageBarrier(
                dir.resolve("hold-stage"), dir.resolve("held-at-stage"), Duration.ofSeconds(120)));
    Daemon daemon = Daemon.open(config, seams);
    Runtime.getRuntime().addShutdownHook(new Thread(daemon::close));
    daemon.serve();
  }
}
