package dev.hearth.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * {@code daemon.ping} throughput and latency under concurrent clients: a real daemon from the
 * distribution, {@code clients} threads each with one Unix-socket connection of its own sending
 * {@code pings} requests one after another (the request line written raw, the answer read up to its
 * newline: no JSON library on the client, so the client's own work stays small). All connect first,
 * wait at a barrier, then each sends {@value #WARMUP} untimed pings, meets the others at a second
 * barrier, and the timed part runs from there to the last answer. Throughput is all timed requests
 * over that wall time; latency is each request's round trip, over all clients.
 *
 * <p>Usage: {@code PingBench <dist dir> <scratch dir> [clients] [pings per client] [rounds]}
 * (defaults {@value #CLIENTS}, {@value #PINGS}, {@value #ROUNDS}); prints each round and the median
 * round. Target (issue 17): at least {@value #TARGET_RPS} requests/s with p99 under {@value
 * #TARGET_P99_MS} ms with 100 clients.
 */
public final class PingBench {
  static final int CLIENTS = 100;
  static final int PINGS = 1_000;
  static final int WARMUP = 200;
  static final int ROUNDS = 3;
  static final int TARGET_RPS = 20_000;
  static final int TARGET_P99_MS = 5;

  /** USER_HZ: the unit of /proc's CPU times on Linux. */
  private static final double TICKS_PER_SECOND = 100;

  private static final byte[] REQUEST =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"daemon.ping\"}\n"
          .getBytes(StandardCharsets.UTF_8);

  private PingBench() {}

  public static void main(String[] args) throws Exception {
    Path dist = Path.of(args[0]).toAbsolutePath();
    Path scratch = Path.of(args[1]).toAbsolutePath();
    int clients = args.length > 2 ? Integer.parseInt(args[2]) : CLIENTS;
    int pings = args.length > 3 ? Integer.parseInt(args[3]) : PINGS;
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : ROUNDS;
    Path socket = BenchDaemon.plainSocket(scratch);
    try (Teardown teardown = Teardown.onStop()) {
      Process daemon = BenchDaemon.startPlain(teardown, dist, scratch);
      System.out.printf(
          Locale.ROOT,
          "daemon.ping: %d clients x %d pings on one connection each (+%d warm-up), %d rounds;"
              + " load average before: %s%n",
          clients,
          pings,
          WARMUP,
          rounds,
          loadAverage());
      double[] rates = new double[rounds];
      long[][] latencies = new long[rounds][];
      for (int round = 0; round < rounds; round++) {
        long cpuBefore = cpuTicks(daemon.pid());
        Result r = round(socket, clients, pings);
        long cpuTicks = cpuTicks(daemon.pid()) - cpuBefore;
        rates[round] = r.rate();
        latencies[round] = r.latencies();
        System.out.printf(
            Locale.ROOT,
            "round %d: %,.0f requests/s (%,d in %.3f s), p50 %.3f ms, p99 %.3f ms, max %.3f ms;"
                + " daemon CPU %.1f us/request (warm-up included); load average %s%n",
            round + 1,
            r.rate(),
            r.latencies().length,
            r.seconds(),
            percentile(r.latencies(), 0.50) / 1e6,
            percentile(r.latencies(), 0.99) / 1e6,
            percentile(r.latencies(), 1.0) / 1e6,
            cpuTicks * 1e6 / TICKS_PER_SECOND / ((long) clients * (pings + WARMUP)),
            loadAverage());
      }
      Integer[] order = new Integer[rounds];
      for (int i = 0; i < rounds; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Double.compare(rates[a], rates[b]));
      int median = order[rounds / 2];
      double p99 = percentile(latencies[median], 0.99) / 1e6;
      System.out.printf(
          Locale.ROOT,
          "median round: %,.0f requests/s (target >= %,d: %s), p50 %.3f ms, p99 %.3f ms"
              + " (target < %d ms: %s)%n",
          rates[median],
          TARGET_RPS,
          rates[median] >= TARGET_RPS ? "met" : "MISSED",
          percentile(latencies[median], 0.50) / 1e6,
          p99,
          TARGET_P99_MS,
          p99 < TARGET_P99_MS ? "met" : "MISSED");
    }
  }

  private record Result(double rate, double seconds, long[] latencies) {}

  private static Result round(Path socket, int clients, int pings) throws Exception {
    CyclicBarrier connected = new CyclicBarrier(clients + 1);
    CyclicBarrier warm = new CyclicBarrier(clients + 1);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<long[]>> running = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        running.add(pool.submit(() -> client(socket, pings, connected, warm)));
      }
      connected.await(60, TimeUnit.SECONDS);
      warm.await(60, TimeUnit.SECONDS);
      long start = System.nanoTime();
      long[] all = new long[clients * pings];
      int n = 0;
      for (Future<long[]> f : running) {
        long[] one = f.get(600, TimeUnit.SECONDS);
        System.arraycopy(one, 0, all, n, one.length);
        n += one.length;
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      return new Result(all.length / seconds, seconds, all);
    } finally {
      pool.shutdownNow();
    }
  }

  private static long[] client(Path socket, int pings, CyclicBarrier connected, CyclicBarrier warm)
      throws Exception {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      InputStream in = new BufferedInputStream(Channels.newInputStream(ch));
      connected.await(60, TimeUnit.SECONDS);
      for (int i = 0; i < WARMUP; i++) {
        roundTrip(ch, in);
      }
      warm.await(60, TimeUnit.SECONDS);
      long[] t = new long[pings];
      for (int i = 0; i < pings; i++) {
        long start = System.nanoTime();
        roundTrip(ch, in);
        t[i] = System.nanoTime() - start;
      }
      return t;
    }
  }

  private static void roundTrip(SocketChannel ch, InputStream in) throws IOException {
    ch.write(ByteBuffer.wrap(REQUEST));
    StringBuilder line = new StringBuilder();
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) {
        throw new IOException("the daemon closed the connection");
      }
      line.append((char) b);
    }
    if (line.indexOf("\"result\"") < 0) {
      throw new IOException("daemon.ping answered an error: " + line);
    }
  }

  /** The process's user + system CPU time in clock ticks ({@code /proc/PID/stat} 14 and 15). */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // fields[0] is field 3 (state): utime is field 14, stime 15.
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  private static String loadAverage() throws IOException {
    String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
    return fields[0] + " " + fields[1] + " " + fields[2];
  }

  static long percentile(long[] nanos, double q) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.max(0, Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1))];
  }
}
