package dev.hearth.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Layout;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.daemon.internal.api.HearthClient;
import dev.hearth.fcproc.net.EgressRules;
import dev.hearth.fcproc.net.HostNetworkEnvironment;
import dev.hearth.fcproc.testing.FakeFirecracker;
import dev.hearth.fcproc.testing.FakeFirecrackerScript;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A daemon for VM tests: the fake firecracker as {@code firecracker_bin}, the copy provisioner, the
 * file-backed fake host network and the fake guest seams, an image {@code base} made of small
 * sparse files, and a client.
 */
final class VmFixture implements AutoCloseable {
  static final String IMAGE = "base";
  static final long IMAGE_BYTES = 8L * 1024 * 1024;
  static final ObjectMapper JSON = new ObjectMapper();

  final Path dir;
  final Config config;
  final Layout layout;
  final FakeHostNetwork network;
  final FakeGuest guest;

  /** Where the egress rules' nft scripts go: recorded, not run (see {@link #egressRules}). */
  final FakeRunner egressNft = new FakeRunner();

  private TestDaemons.Running running;
  private HearthClient client;

  VmFixture(Path dir) {
    this(dir, config(dir));
  }

  VmFixture(Path dir, Config config) {
    this.dir = dir;
    this.config = config;
    this.layout = Layout.of(config);
    this.network = new FakeHostNetwork(dir.resolve("net"));
    this.guest = new FakeGuest(dir.resolve("hold-ssh"));
    image(layout, IMAGE);
  }

  /** The config: state and runtime under {@code dir}, the fake firecracker, copy disks. */
  static Config config(Path dir) {
    return config(dir, Map.of());
  }

  /** The same, with system properties for the fake firecracker (see {@link FakeFirecracker}). */
  static Config config(Path dir, Map<String, String> fakeProperties) {
    Path firecracker =
        FakeFirecrackerScript.write(dir.resolve("bin").resolve("firecracker"), fakeProperties);
    return TestDaemons.config(dir)
        .with(ConfigKey.FIRECRACKER_BIN, firecracker.toString())
        .with(ConfigKey.DISK_PROVISIONER, "copy")
        .with(ConfigKey.TAP_POOL_SIZE, "0")
        .with(ConfigKey.STOP_TIMEOUT, "10s");
  }

  /** An image folder with a dummy kernel and a sparse rootfs of {@link #IMAGE_BYTES}. */
  static void image(Layout layout, String name) {
    Path imageDir = layout.imageDir(name);
    try {
      Files.createDirectories(imageDir);
      Files.writeString(imageDir.resolve("vmlinux"), "not really a kernel\n");
      try (RandomAccessFile f =
          new RandomAccessFile(imageDir.resolve("rootfs.ext4").toFile(), "rw")) {
        f.setLength(IMAGE_BYTES);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Daemon.Seams seams() {
    return TestDaemons.seams()
        .withVm(network, guest, guest)
        .withGuestPowerOff(guest)
        .withEgressRules(egressRules(egressNft));
  }

  /** Egress rules for the fake network's bridge, their nft run by {@code runner}. */
  static EgressRules egressRules(Runner runner) {
    HostNetworkEnvironment real = HostNetworkEnvironment.system();
    return new EgressRules(
        runner,
        new HostNetworkEnvironment() {
          @Override
          public Optional<Path> findProgram(String name) {
            return name.equals("nft")
                ? Optional.of(Path.of("/usr/sbin/nft"))
                : real.findProgram(name);
          }

          @Override
          public void writeSysctl(String key, String value) {
            throw new AssertionError("egress rules write no sysctl");
          }
        },
        "hearth_test",
        "fakebr0");
  }

  VmFixture start() {
    return start(seams());
  }

  VmFixture start(Daemon.Seams seams) {
    running = TestDaemons.start(config, seams);
    client = HearthClient.connect(running.socket);
    return this;
  }

  /** Closes the client and the daemon (VMs keep running, as after a daemon stop). */
  void stopDaemon() throws InterruptedException {
    if (client != null) {
      client.close();
      client = null;
    }
    if (running != null) {
      running.close();
      running = null;
    }
  }

  HearthClient client() {
    return client;
  }

  JsonNode call(String method, String paramsJson) {
    try {
      return JSON.readTree(Rpc.call(client, method, paramsJson));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A call passing {@code files}, opened here, as descriptors 0, 1, ... with the request (as the
   * CLI does for image.register and image.build).
   */
  JsonNode callWithFiles(String method, String paramsJson, Path... files) {
    List<java.io.FileInputStream> opened = new ArrayList<>();
    try (HearthClient own = HearthClient.connectPassingFiles(layout.socket())) {
      List<java.io.FileDescriptor> fds = new ArrayList<>();
      for (Path file : files) {
        java.io.FileInputStream in = new java.io.FileInputStream(file.toFile());
        opened.add(in);
        fds.add(in.getFD());
      }
      return JSON.readTree(Rpc.bounded(method, () -> own.callWithFiles(method, paramsJson, fds)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (java.io.FileInputStream in : opened) {
        try {
          in.close();
        } catch (IOException e) {
          // read-only
        }
      }
    }
  }

  /** What {@code vm.create} answered. */
  JsonNode create(String name, String extraParams) {
    String extra = extraParams.isEmpty() ? "" : ", " + extraParams;
    return call(
        "vm.create", "{\"name\": \"" + name + "\", \"image\": \"" + IMAGE + "\"" + extra + "}");
  }

  /** Watches the op to its end; returns every snapshot seen, the final one last. */
  List<JsonNode> watch(String opId) {
    List<JsonNode> seen = new ArrayList<>();
    try (HearthClient watcher = HearthClient.connect(layout.socket())) {
      String last =
          Rpc.call(
              watcher,
              "op.watch",
              "{\"op\": \"" + opId + "\"}",
              (method, params) -> seen.add(parse(params)));
      seen.add(parse(last));
    }
    return seen;
  }

  /** Creates and waits for the op's end; returns the final op snapshot. */
  JsonNode createAndWait(String name, String extraParams) {
    JsonNode created = create(name, extraParams);
    List<JsonNode> seen = watch(created.path("op").path("id").asText());
    return seen.get(seen.size() - 1);
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Stops the daemon and kills the fake VMs it started: they outlive a daemon by design (see {@link
   * #stopDaemon} for a restart), but not the test.
   */
  @Override
  public void close() throws InterruptedException {
    try {
      stopDaemon();
    } finally {
      VmAssertions.killLeftoverFakes(this);
    }
  }
}
