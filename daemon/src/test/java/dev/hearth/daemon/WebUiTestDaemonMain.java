package dev.hearth.daemon;

import dev.hearth.core.ConfigKey;
import dev.hearth.daemon.internal.vm.StageBarrier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The daemon of the web UI's browser test (module cli), in a JVM of its own started from this
 * module's test class path ({@code target/web-ui-test-classpath.txt}): {@link VmFixture}'s daemon
 * in {@code <dir>} (the fake firecracker, copy disks, the file-backed host network, fake guest
 * seams, the image {@code base}) with its web UI on a free port of 127.0.0.1. A create holds at a
 * stage point while the file {@code <dir>/hold/<point>} exists, after writing {@code
 * <dir>/held/<point>}, so that the test can watch a page follow the stages. SIGTERM stops the
 * daemon and kills the fake VMs.
 */
public final class WebUiTestDaemonMain {
  /** How long a held stage waits at most before it goes on by itself. */
  private static final Duration MAX_HOLD = Duration.ofMinutes(3);

  private WebUiTestDaemonMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Files.createDirectories(dir.resolve("hold"));
    Files.createDirectories(dir.resolve("held"));
    StageBarrier barrier = point -> hold(dir, point);
    VmFixture fixture =
        new VmFixture(dir, VmFixture.config(dir).with(ConfigKey.WEB_LISTEN_ADDR, "127.0.0.1:0"));
    fixture.start(fixture.seams().withStageBarrier(barrier));
    Thread main = Thread.currentThread();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    fixture.close();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  main.interrupt();
                }));
    Files.writeString(dir.resolve("ready"), "ready\n");
    try {
      Thread.sleep(Long.MAX_VALUE);
    } catch (InterruptedException e) {
      // Stopped by the shutdown hook.
    }
  }

  private static void hold(Path dir, String point) throws InterruptedException {
    Path hold = dir.resolve("hold").resolve(point);
    if (!Files.exists(hold)) {
      return;
    }
    try {
      Files.writeString(dir.resolve("held").resolve(point), point + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long deadline = System.nanoTime() + MAX_HOLD.toNanos();
    while (Files.exists(hold) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }
}
