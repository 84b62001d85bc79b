package dev.hearth.bench;

import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.daemon.Hearth;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The daemon's create overhead: {@code vm.create} to running, watched through {@code op.watch},
 * {@value #SEQUENTIAL} times one after another (each VM deleted before the next, untimed), then
 * {@value #BATCH} creates one after another against {@value #BATCH} at once from {@value #BATCH}
 * clients.
 *
 * <p>The daemon is a real one from the distribution, driven over its socket with the typed client
 * ({@link Hearth#connect}), in a network namespace of its own ({@link StandInHost}, shared with
 * {@link MemoryBench}): the copy provisioner on a 64 MiB ext4 image, debugfs for the identity, a
 * real TAP on the daemon's bridge, and firecracker is {@code minimal-firecracker.py}, which answers
 * the API at once and plays the guest's SSH server with OpenSSH's sshd, so wait-ssh is a real SSH
 * handshake on the host. What is measured is therefore hearth's own work plus the host's TAP and
 * sshd, not a guest's boot.
 *
 * <p>Usage: {@code CreateBench <dist dir> <scratch dir>}; needs what {@link StandInHost} needs
 * (root, {@code /usr/sbin/sshd}, {@code ssh-keygen}, {@code setpriv}, python3, mkfs.ext4, debugfs).
 */
public final class CreateBench {
  static final int WARMUP = 10;
  static final int SEQUENTIAL = 100;
  static final int BATCH = 20;

  private CreateBench() {}

  public static void main(String[] args) throws Exception {
    Path dist = Path.of(args[0]).toAbsolutePath();
    Path scratch = Path.of(args[1]).toAbsolutePath();
    try (Teardown teardown = Teardown.onStop()) {
      StandInHost host =
          teardown.start(
              () ->
                  StandInHost.prepare(
                      dist, scratch, new ProcessRunner(Posix.system(), Clock.system())),
              StandInHost::close);
      teardown.start(host::startDaemon, process -> BenchDaemon.stop(process, host.socket()));
      host.trustDaemonKey();
      measure(host);
    }
  }

  private static void measure(StandInHost host) throws Exception {
    try (Hearth client = Hearth.connect(host.socket())) {
      for (int i = 0; i < WARMUP; i++) {
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
        StandInHost.create(client, "one" + i);
      }
      long sequential = System.nanoTime() - start;
      deleteAll(client, names);

      names.clear();
      ExecutorService pool = Executors.newFixedThreadPool(BATCH);
      try {
        start = System.nanoTime();
        List<Future<?>> running = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
          String name = "par" + i;
          names.add(name);
          running.add(
              pool.submit(
                  () -> {
                    try (Hearth own = Hearth.connect(host.socket())) {
                      StandInHost.create(own, name);
                    }
                    return null;
                  }));
        }
        for (Future<?> f : running) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
      long concurrent = System.nanoTime() - start;
      deleteAll(client, names);
      System.out.printf(
          Locale.ROOT,
          "%d creates: sequential %.0f ms, concurrent %.0f ms,"
              + " ratio concurrent/sequential %.2f%n",
          BATCH,
          sequential / 1e6,
          concurrent / 1e6,
          (double) concurrent / sequential);
    }
  }

  private static long createAndDelete(Hearth client, String name) throws InterruptedException {
    long start = System.nanoTime();
    StandInHost.create(client, name);
    long elapsed = System.nanoTime() - start;
    StandInHost.delete(client, name);
    return elapsed;
  }

  private static void deleteAll(Hearth client, List<String> names) throws InterruptedException {
    for (String name : names) {
      StandInHost.delete(client, name);
    }
  }

  private static void report(String what, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf(
        Locale.ROOT,
        "%-36s n=%-4d median %7.1f ms   p99 %7.1f ms%n",
        what,
        nanos.length,
        sorted[sorted.length / 2] / 1e6,
        sorted[(int) Math.ceil(0.99 * sorted.length) - 1] / 1e6);
  }
}
