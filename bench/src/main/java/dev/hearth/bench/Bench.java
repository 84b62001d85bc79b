package dev.hearth.bench;

import dev.hearth.daemon.Hearth;
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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The foundation benchmarks, in one run against a real daemon started from the distribution:
 *
 * <ol>
 *   <li>daemon.ping round trip through the typed client ({@link Hearth#connect}, {@link
 *       Hearth#ping}) against the same request line written by a minimal raw socket client (the
 *       floor: socket plus JSON on the daemon side);
 *   <li>wall time of {@code bin/hearth version} against a bare JVM start (a class that prints one
 *       line), the two alternated.
 * </ol>
 *
 * <p>Usage: {@code Bench <dist dir> <scratch dir>}. bench/run does the build and passes these.
 */
public final class Bench {
  private static final int PINGS = 20_000;
  private static final int WARMUP_PINGS = 5_000;
  private static final int STARTS = 20;

  private Bench() {}

  public static void main(String[] args) throws Exception {
    Path dist = Path.of(args[0]).toAbsolutePath();
    Path scratch = Path.of(args[1]).toAbsolutePath();
    Path socket = BenchDaemon.plainSocket(scratch);
    Path launcher = dist.resolve("bin/hearth");

    try (Teardown teardown = Teardown.onStop()) {
      BenchDaemon.startPlain(teardown, dist, scratch);
      long[] client = clientPings(socket);
      long[] raw = rawPings(socket);
      report("daemon.ping via Hearth.connect", client);
      report("daemon.ping via raw socket", raw);
      System.out.printf(
          Locale.ROOT,
          "ping ratio (typed client / raw): median %.2f, p99 %.2f%n",
          (double) median(client) / median(raw),
          (double) p99(client) / p99(raw));

      // One untimed run dumps the class-data-sharing archive, as a user's first run does.
      List<String> version = List.of(launcher.toString(), "--socket", socket.toString(), "version");
      run(version);
      Path hello = writeHello(scratch);
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> bareStart = List.of(java, "-Xshare:auto", "-cp", hello.toString(), "Hello");
      long[] cli = new long[STARTS];
      long[] bare = new long[STARTS];
      double[] ratios = new double[STARTS];
      // Side by side, so that load from other work on the machine touches both alike.
      for (int i = 0; i < STARTS; i++) {
        cli[i] = run(version);
        bare[i] = run(bareStart);
        ratios[i] = (double) cli[i] / bare[i];
      }
      report("bin/hearth version (wall)", cli);
      report("bare JVM start (wall)", bare);
      Arrays.sort(ratios);
      System.out.printf(
          Locale.ROOT,
          "start ratio (hearth version / bare JVM): median %.2f; pairs: median %.2f, min %.2f,"
              + " max %.2f%n",
          (double) median(cli) / median(bare),
          ratios[STARTS / 2],
          ratios[0],
          ratios[STARTS - 1]);
    }
  }

  private static long[] clientPings(Path socket) {
    try (Hearth hearth = Hearth.connect(socket)) {
      for (int i = 0; i < WARMUP_PINGS; i++) {
        hearth.ping();
      }
      long[] t = new long[PINGS];
      for (int i = 0; i < PINGS; i++) {
        long start = System.nanoTime();
        hearth.ping();
        t[i] = System.nanoTime() - start;
      }
      return t;
    }
  }

  private static long[] rawPings(Path socket) throws IOException {
    byte[] request =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"daemon.ping\"}\n"
            .getBytes(StandardCharsets.UTF_8);
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      InputStream in = new BufferedInputStream(Channels.newInputStream(ch));
      for (int i = 0; i < WARMUP_PINGS; i++) {
        rawRoundTrip(ch, in, request);
      }
      long[] t = new long[PINGS];
      for (int i = 0; i < PINGS; i++) {
        long start = System.nanoTime();
        rawRoundTrip(ch, in, request);
        t[i] = System.nanoTime() - start;
      }
      return t;
    }
  }

  private static void rawRoundTrip(SocketChannel ch, InputStream in, byte[] request)
      throws IOException {
    ch.write(ByteBuffer.wrap(request));
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) {
        throw new IOException("daemon closed the connection");
      }
    }
  }

  private static long run(List<String> argv) throws IOException, InterruptedException {
    long start = System.nanoTime();
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    int code = p.waitFor();
    long elapsed = System.nanoTime() - start;
    if (code != 0) {
      throw new IllegalStateException(
          argv + " exited " + code + ": " + new String(out, StandardCharsets.UTF_8));
    }
    return elapsed;
  }

  private static Path writeHello(Path scratch) throws IOException, InterruptedException {
    Path dir = Files.createDirectories(scratch.resolve("hello"));
    Path src = dir.resolve("Hello.java");
    Files.writeString(
        src,
        "public class Hello {"
            + " public static void main(String[] a) { System.out.println(\"hi\"); } }");
    String javac = Path.of(System.getProperty("java.home"), "bin", "javac").toString();
    run(List.of(javac, "-d", dir.toString(), src.toString()));
    return dir;
  }

  private static void report(String what, long[] nanos) {
    System.out.printf(
        Locale.ROOT,
        "%-32s n=%-6d median %9.1f us   p99 %9.1f us%n",
        what,
        nanos.length,
        median(nanos) / 1e3,
        p99(nanos) / 1e3);
  }

  private static long median(long[] nanos) {
    return percentile(nanos, 0.50);
  }

  private static long p99(long[] nanos) {
    return percentile(nanos, 0.99);
  }

  private static long percentile(long[] nanos, double q) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  }
}
