package dev.hearth.daemon;

import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Layout;
import java.nio.file.Path;

/** Configs and running daemons in a test's temporary folder. */
final class TestDaemons {
  private TestDaemons() {}

  /** State and runtime folders under {@code dir}, no socket group. */
  static Config config(Path dir) {
    return Config.defaults()
        .with(ConfigKey.STATE_DIR, dir.resolve("state").toString())
        .with(ConfigKey.RUNTIME_DIR, dir.resolve("run").toString())
        .with(ConfigKey.SOCKET_GROUP, "");
  }

  static Path socket(Config config) {
    return Layout.of(config).socket();
  }

  /** A daemon serving on a background thread; closing it closes the daemon and joins the thread. */
  static final class Running implements AutoCloseable {
    final Daemon daemon;
    final Path socket;
    private final Thread thread;

    private Running(Daemon daemon, Path socket) {
      this.daemon = daemon;
      this.socket = socket;
      this.thread =
          new Thread(
              () -> {
                try {
                  daemon.serve();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "test-daemon-serve");
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      daemon.close();
      thread.join();
    }
  }

  static Running start(Config config) {
    return new Running(Daemon.open(config), socket(config));
  }

  static Running start(Config config, Daemon.Seams seams) {
    return new Running(Daemon.open(config, seams), socket(config));
  }
}
