package dev.hearth.bench;

import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.Hearth;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The daemon's memory: the resident set ({@code VmRSS} of {@code /proc/<pid>/status}) of a real
 * daemon started from the distribution as users start it ({@code bin/hearth daemon --config ...},
 * so with the launcher's JVM options), driven over its socket with the typed client ({@link
 * Hearth#connect}):
 *
 * <ol>
 *   <li>idle: once the socket answers, after a {@value #SETTLE_SECONDS} s settle;
 *   <li>after each of {@value #CYCLES} create/delete cycles ({@code vm.create} to running through
 *       {@code op.watch}, then {@code vm.delete --force}), one client connection per cycle as the
 *       CLI has it; reported every 10 cycles, and cycle 50 against cycle 100 for growth;
 *   <li>after {@value #BURST} creates at once from {@value #BURST} clients, and after their
 *       deletion;
 *   <li>after {@value #STREAMS} {@code vm.exec} streams of 100 MiB at once (each on a client of its
 *       own) from one more VM, and once more after its deletion and a settle.
 * </ol>
 *
 * <p>The last two are the peak loads, and show that the launcher's heap bound takes them.
 *
 * <p>Each create is the daemon's real path: the copy provisioner on a 64 MiB ext4 image, debugfs
 * for the identity, a real TAP on a bridge of the bench's own, and firecracker is {@code
 * minimal-firecracker.py} (answers the API at once) playing the guest's SSH server with OpenSSH's
 * sshd, so that wait-ssh makes a real SSH handshake and runs {@code true} over the daemon's MINA
 * client (and the session listing that follows a start runs too). With {@code
 * -XX:NativeMemoryTracking=summary} in {@code HEARTH_JAVA_OPTS} the JVM's own accounting ({@code
 * jcmd VM.native_memory summary}) is printed at idle and at the end.
 *
 * <p>The daemon runs in a network namespace of its own ({@code ip netns exec}), with the default
 * config but for its folders, {@code firecracker_bin} and the copy provisioner: its bridge, TAPs,
 * NAT table and the stand-ins' sshd never meet the host's or another daemon's.
 *
 * <p>Usage: {@code MemoryBench <dist dir> <scratch dir>}; needs root, {@code /usr/sbin/sshd},
 * {@code ssh-keygen}, {@code setpriv}, python3, mkfs.ext4 and debugfs.
 */
public final class MemoryBench {
  static final int CYCLES = 100;
  static final int BURST = 20;
  static final int SETTLE_SECONDS = 10;
  static final int STREAMS = 4;
  static final long STREAM_BYTES = 100L << 20;
  static final long IDLE_TARGET_MIB = 80;
  static final long CYCLES_TARGET_MIB = 120;
  private static final Pattern NMT_LINE =
      Pattern.compile("^(Total|-\\s+[A-Za-z ]+?)\\s*\\(?\\s*reserved=\\d+KB, committed=(\\d+)KB");

  private MemoryBench() {}

  public static void main(String[] args) throws Exception {
    Path dist = Path.of(args[0]).toAbsolutePath();
    Path scratch = Path.of(args[1]).toAbsolutePath();
    Runner runner = new ProcessRunner(Posix.system(), Clock.system());
    try (Teardown teardown = Teardown.onStop()) {
      StandInHost host =
          teardown.start(() -> StandInHost.prepare(dist, scratch, runner), StandInHost::close);
      Process daemon =
          teardown.start(host::startDaemon, process -> BenchDaemon.stop(process, host.socket()));
      measure(host, daemon);
    }
  }

  private static void measure(StandInHost host, Process daemon) throws Exception {
    long pid;
    try (Hearth client = Hearth.connect(host.socket())) {
      pid = client.version().pid();
    }
    if (pid != daemon.pid()) {
      throw new IllegalStateException(
          "the daemon answering is pid " + pid + ", not the one started (" + daemon.pid() + ")");
    }
    boolean nmt =
        Files.readString(Path.of("/proc/" + pid + "/cmdline")).contains("NativeMemoryTracking");
    System.out.printf(Locale.ROOT, "daemon: %s%n", commandLine(pid));
    TimeUnit.SECONDS.sleep(SETTLE_SECONDS);
    long idle = rssKib(pid);
    System.out.printf(
        Locale.ROOT,
        "RSS idle after start (+%d s): %s (%d threads)%n",
        SETTLE_SECONDS,
        mib(idle),
        threads(pid));
    if (nmt) {
      printNmt(pid, "idle");
    }
    host.trustDaemonKey();

    long[] rss = new long[CYCLES + 1];
    for (int cycle = 1; cycle <= CYCLES; cycle++) {
      try (Hearth client = Hearth.connect(host.socket())) {
        StandInHost.create(client, "mem" + cycle);
        StandInHost.delete(client, "mem" + cycle);
      }
      rss[cycle] = rssKib(pid);
      if (cycle % 10 == 0) {
        System.out.printf(
            Locale.ROOT,
            "RSS after cycle %3d: %s (%d threads)%n",
            cycle,
            mib(rss[cycle]),
            threads(pid));
      }
    }
    long growth = rss[CYCLES] - rss[CYCLES / 2];
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int cycle = CYCLES / 2; cycle <= CYCLES; cycle++) {
      min = Math.min(min, rss[cycle]);
      max = Math.max(max, rss[cycle]);
    }

    List<String> names = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(BURST);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int i = 0; i < BURST; i++) {
        String name = "burst" + i;
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
    long burstPeak = rssKib(pid);
    try (Hearth client = Hearth.connect(host.socket())) {
      for (String name : names) {
        StandInHost.delete(client, name);
      }
    }
    long burst = rssKib(pid);

    try (Hearth client = Hearth.connect(host.socket())) {
      StandInHost.create(client, "stream");
    }
    long streamStart = System.nanoTime();
    List<Future<Long>> streams = new ArrayList<>();
    ExecutorService streamPool = Executors.newFixedThreadPool(STREAMS);
    try {
      for (int i = 0; i < STREAMS; i++) {
        streams.add(streamPool.submit(() -> execStream(host.socket(), "stream")));
      }
      for (Future<Long> f : streams) {
        if (f.get() != STREAM_BYTES) {
          throw new IllegalStateException("a vm.exec stream delivered " + f.get() + " bytes");
        }
      }
    } finally {
      streamPool.shutdown();
    }
    double streamSeconds = (System.nanoTime() - streamStart) / 1e9;
    long afterStreams = rssKib(pid);
    try (Hearth client = Hearth.connect(host.socket())) {
      StandInHost.delete(client, "stream");
    }
    TimeUnit.SECONDS.sleep(SETTLE_SECONDS);
    long settled = rssKib(pid);
    if (nmt) {
      printNmt(pid, "end");
    }

    System.out.println();
    System.out.printf(Locale.ROOT, "%-48s %10s   target%n", "daemon RSS (VmRSS)", "MiB");
    row("idle after start", idle, "<= " + IDLE_TARGET_MIB, idle <= IDLE_TARGET_MIB * 1024);
    row("after cycle 50", rss[CYCLES / 2], "", true);
    row(
        "after cycle 100",
        rss[CYCLES],
        "<= " + CYCLES_TARGET_MIB,
        rss[CYCLES] <= CYCLES_TARGET_MIB * 1024);
    System.out.printf(
        Locale.ROOT,
        "%-48s %+10.1f   (cycles 50..100: min %s, max %s)%n",
        "growth cycle 50 -> 100",
        growth / 1024.0,
        mib(min),
        mib(max));
    row(BURST + " creates at once, all running", burstPeak, "", true);
    row("after deleting them", burst, "", true);
    row(STREAMS + " x 100 MiB vm.exec streams at once, after", afterStreams, "", true);
    row("after deleting that VM (+" + SETTLE_SECONDS + " s)", settled, "", true);
    System.out.printf(
        Locale.ROOT,
        "(the %d streams took %.1f s: %.1f MiB/s together)%n",
        STREAMS,
        streamSeconds,
        STREAMS * STREAM_BYTES / 1048576.0 / streamSeconds);
  }

  private static void row(String what, long kib, String target, boolean met) {
    System.out.printf(
        Locale.ROOT,
        "%-48s %10.1f   %s%n",
        what,
        kib / 1024.0,
        target.isEmpty() ? "" : target + (met ? " met" : " MISSED"));
  }

  /**
   * {@code head -c} of {@value #STREAM_BYTES} bytes in the "guest" (the stand-in's sshd) through
   * {@code vm.exec} on a client of its own (which runs the exec on a connection of its own);
   * returns the stdout bytes counted.
   */
  private static long execStream(Path socket, String vm) throws InterruptedException {
    long[] received = new long[1];
    int exit;
    try (Hearth own = Hearth.connect(socket)) {
      exit =
          own.vms()
              .exec(
                  vm,
                  ExecSpec.of("head", "-c", Long.toString(STREAM_BYTES), "/dev/zero"),
                  (fd, data) -> {
                    if (fd == 1) {
                      received[0] += data.length;
                    }
                  });
    }
    if (exit != 0) {
      throw new IllegalStateException("vm.exec head -c exited " + exit);
    }
    return received[0];
  }

  static long rssKib(long pid) throws IOException {
    return statusField(pid, "VmRSS");
  }

  static long threads(long pid) throws IOException {
    return statusField(pid, "Threads");
  }

  private static long statusField(long pid, String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").strip());
      }
    }
    throw new IllegalStateException("no " + field + " in /proc/" + pid + "/status");
  }

  private static String mib(long kib) {
    return String.format(Locale.ROOT, "%.1f MiB", kib / 1024.0);
  }

  private static String commandLine(long pid) throws IOException {
    return String.join(" ", Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));
  }

  /** The committed size of each NMT category, one line. */
  private static void printNmt(long pid, String when) throws IOException, InterruptedException {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    Process p =
        new ProcessBuilder(jcmd, Long.toString(pid), "VM.native_memory", "summary")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    StringBuilder line = new StringBuilder("NMT committed (" + when + "):");
    for (String l : out.split("\n")) {
      Matcher m = NMT_LINE.matcher(l.strip());
      if (m.find()) {
        long kib = Long.parseLong(m.group(2));
        if (kib >= 512) {
          String name = m.group(1).replaceFirst("^-\\s+", "");
          line.append(String.format(Locale.ROOT, " %s %.1f;", name, kib / 1024.0));
        }
      }
    }
    System.out.println(line);
  }
}
