package dev.hearth.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Layout;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.daemon.internal.guest.DebugfsGuestIdentity;
import dev.hearth.fcproc.net.HostNetwork;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The daemon's own create overhead: {@code vm.create} to running, with the copy provisioner on a
 * small ext4 image, the real debugfs identity stage, a minimal firecracker stand-in that answers
 * at once (bench/.../minimal-firecracker.py), the SSH wait answering at once and no host network.
 * It lives in the daemon's package to reach the daemon's test seams; it is not part of any jar
 * that ships.
 *
 * <p>Usage: {@code CreateBench <scratch dir>}.
 */
public final class CreateBench {
  private static final int SEQUENTIAL = 100;
  private static final int BATCH = 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  private CreateBench() {}

  public static void main(String[] args) throws Exception {
    Path scratch = Path.of(args[0]).toAbsolutePath();
    Path firecracker = scratch.resolve("bin/firecracker");
    Files.createDirectories(firecracker.getParent());
    try (InputStream in =
        CreateBench.class.getResourceAsStream("/dev/hearth/bench/minimal-firecracker.py")) {
      Files.copy(in, firecracker);
    }
    Files.setPosixFilePermissions(firecracker, PosixFilePermissions.fromString("rwxr-xr-x"));
    Config config =
        Config.defaults()
            .with(ConfigKey.STATE_DIR, scratch.resolve("state").toString())
            .with(ConfigKey.RUNTIME_DIR, scratch.resolve("run").toString())
            .with(ConfigKey.SOCKET_GROUP, "")
            .with(ConfigKey.DISK_PROVISIONER, "copy")
            .with(ConfigKey.TAP_POOL_SIZE, "0")
            .with(ConfigKey.FIRECRACKER_BIN, firecracker.toString());
    Layout layout = Layout.of(config);
    makeImage(layout.imageDir("small"));

    ProcessRunner runner = new ProcessRunner(Posix.system(), Clock.system());
    Daemon.Seams seams =
        Daemon.Seams.system()
            .withVm(new NoNetwork(), new DebugfsGuestIdentity(runner), (ip, port, timeout) -> {});
    try (Daemon daemon = Daemon.open(config, seams)) {
      Thread serve = new Thread(() -> {
        try {
          daemon.serve();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      serve.start();
      try (HearthClient client = HearthClient.connect(layout.socket())) {
        for (int i = 0; i < 10; i++) {
          createAndDelete(client, "warm" + i);
        }
        long[] single = new long[SEQUENTIAL];
        for (int i = 0; i < SEQUENTIAL; i++) {
          single[i] = createAndDelete(client, "seq" + i);
        }
        report("vm.create to running, sequential", single);

        long start = System.nanoTime();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
          names.add("one" + i);
          create(client, "one" + i);
        }
        long sequential = System.nanoTime() - start;
        deleteAll(client, names);

        names.clear();
        ExecutorService pool = Executors.newFixedThreadPool(BATCH);
        start = System.nanoTime();
        List<Future<?>> running = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
          String name = "par" + i;
          names.add(name);
          running.add(pool.submit(() -> {
            try (HearthClient own = HearthClient.connect(layout.socket())) {
              create(own, name);
            }
            return null;
          }));
        }
        for (Future<?> f : running) {
          f.get();
        }
        long concurrent = System.nanoTime() - start;
        pool.shutdown();
        deleteAll(client, names);
        System.out.printf(
            Locale.ROOT,
            "%d creates: sequential %.0f ms, concurrent %.0f ms,"
                + " ratio concurrent/sequential %.2f%n",
            BATCH, sequential / 1e6, concurrent / 1e6, (double) concurrent / sequential);
      }
    }
  }

  private static long createAndDelete(HearthClient client, String name) {
    long start = System.nanoTime();
    create(client, name);
    long elapsed = System.nanoTime() - start;
    client.call("vm.delete", "{\"vm\": \"" + name + "\", \"force\": true}");
    return elapsed;
  }

  private static void create(HearthClient client, String name) {
    JsonNode created =
        parse(client.call("vm.create", "{\"name\": \"" + name + "\", \"image\": \"small\"}"));
    JsonNode last =
        parse(client.call(
            "op.watch", "{\"op\": \"" + created.path("op").path("id").asText() + "\"}",
            (method, params) -> {}));
    if (!last.path("state").asText().equals("succeeded")) {
      throw new IllegalStateException("create of " + name + " failed: " + last);
    }
  }

  private static void deleteAll(HearthClient client, List<String> names) {
    for (String name : names) {
      client.call("vm.delete", "{\"vm\": \"" + name + "\", \"force\": true}");
    }
  }

  private static void makeImage(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("vmlinux"), "benchmark kernel placeholder\n");
    ProcessRunner runner = new ProcessRunner(Posix.system(), Clock.system());
    runner.check(
        Command.of("mkfs.ext4", "-F", "-q", dir.resolve("rootfs.ext4").toString(), "64M"));
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void report(String what, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf(
        Locale.ROOT, "%-36s n=%-4d median %7.1f ms   p99 %7.1f ms%n",
        what, nanos.length, sorted[sorted.length / 2] / 1e6,
        sorted[(int) Math.ceil(0.99 * sorted.length) - 1] / 1e6);
  }

  /** No bridge, TAPs or NAT: the benchmark measures the rest of a create. */
  private static final class NoNetwork implements HostNetwork {
    private final Set<String> taps = ConcurrentHashMap.newKeySet();

    @Override
    public void ensure() {}

    @Override
    public String tapName(int index) {
      return "btap" + index;
    }

    @Override
    public void createTap(String tap) {
      taps.add(tap);
    }

    @Override
    public void attachTap(String tap) {}

    @Override
    public void deleteTap(String tap) {
      taps.remove(tap);
    }

    @Override
    public List<String> listTaps() {
      return List.copyOf(taps);
    }
  }
}
