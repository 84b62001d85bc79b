package dev.hearth.daemon;

import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Layout;
import dev.hearth.core.testing.Await;
import dev.hearth.fcproc.net.HostNetwork;
import dev.hearth.fcproc.net.TapGuest;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/** Configs and running daemons in a test's temporary folder. */
final class TestDaemons {
  private TestDaemons() {}

  /**
   * State and runtime folders under {@code dir}, no socket group, copy disks (so that no test
   * daemon probes or reconciles the host's device-mapper devices), and host network names of its
   * own.
   */
  static Config config(Path dir) {
    // A daemon whose test gives it no host network seam reconciles the host's real TAPs at start
    // (deleting or pooling each of its prefix that no row of its own uses): with names of its own
    // it never takes the TAPs or nft tables of a hearth daemon installed on the host, or of
    // another test run.
    String own = HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
    return Config.defaults()
        .with(ConfigKey.BRIDGE_NAME, "htd" + own)
        .with(ConfigKey.TAP_PREFIX, "htd" + own + "t")
        .with(ConfigKey.NETWORK_TAG, "hearth_td_" + own)
        .with(ConfigKey.STATE_DIR, dir.resolve("state").toString())
        .with(ConfigKey.RUNTIME_DIR, dir.resolve("run").toString())
        .with(ConfigKey.SOCKET_GROUP, "")
        .with(ConfigKey.DISK_PROVISIONER, "copy")
        // The fake firecracker is a JVM on the test class path (under root's 0700 home), which
        // vm_user cannot read: test daemons run their VMMs as root (VmJailHostTest covers both).
        .with(ConfigKey.VM_UNPRIVILEGED, "false")
        // Test daemons run side by side: none takes the VM DNS's host port unless asked to.
        .with(ConfigKey.DNS_HOST_LISTEN, "")
        // Nor the web UI's port: the web tests ask for one (port 0, any free one).
        .with(ConfigKey.WEB_LISTEN_ADDR, "");
  }

  /**
   * The system seams but with a host network that has no TAPs, so that a daemon under test never
   * lists or removes the host's real devices.
   */
  static Daemon.Seams seams() {
    return Daemon.Seams.system().withHostNetwork(NO_NETWORK);
  }

  private static final HostNetwork NO_NETWORK =
      new HostNetwork() {
        @Override
        public void ensure() {}

        @Override
        public String tapName(int index) {
          return "notap" + index;
        }

        @Override
        public void createTap(String tap) {
          throw new UnsupportedOperationException("this test daemon has no host network");
        }

        @Override
        public void attachTap(String tap) {
          throw new UnsupportedOperationException("this test daemon has no host network");
        }

        @Override
        public void ownTap(String tap, int uid) {
          throw new UnsupportedOperationException("this test daemon has no host network");
        }

        @Override
        public void guardTap(String tap, TapGuest guest) {
          throw new UnsupportedOperationException("this test daemon has no host network");
        }

        @Override
        public void limitTap(String tap, long bytesPerSecond) {
          throw new UnsupportedOperationException("this test daemon has no host network");
        }

        @Override
        public void unguardTap(String tap) {}

        @Override
        public void deleteTap(String tap) {}

        @Override
        public List<String> listTaps() {
          return List.of();
        }
      };

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
      Await.join(thread, "the daemon's serve loop to end after close");
    }
  }

  static Running start(Config config) {
    return new Running(Daemon.open(config, seams()), socket(config));
  }

  static Running start(Config config, Daemon.Seams seams) {
    return new Running(Daemon.open(config, seams), socket(config));
  }
}
