package dev.hearth.bench;

import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.TreeDeleter;
import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.SessionEnd;
import dev.hearth.daemon.SessionStart;
import dev.hearth.daemon.SessionState;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The daemon over time (issue 17): {@code cycles} create/exec/session/delete cycles against a real
 * daemon from the distribution with the firecracker stand-in ({@link StandInHost}, as {@link
 * CreateBench}: its own network namespace, real TAPs, the host's sshd as the guest's SSH server),
 * sampling the daemon's resident set ({@code VmRSS}), open file descriptors ({@code /proc/PID/fd})
 * and threads every {@value #SAMPLE_EVERY} cycles.
 *
 * <p>A cycle, on a client connection of its own as the CLI has it: {@code vm.create} to running
 * (through {@code op.watch}), {@code vm.exec} of {@code true}, {@code session.start} of {@code sh
 * -c 'echo soak'} and {@code session.wait} to its exit, then {@code vm.delete --force}. The
 * stand-in's "guest" is the host, so the session folder lands in the host's {@code
 * /var/lib/hearth/sessions}; the bench removes it after each cycle (a real guest's disk goes with
 * its VM).
 *
 * <p>Verdict: the first {@code warm-up} samples (a fifth of the cycles, at least one sample) are
 * the warm-up; after it, the last sample may exceed the first post-warm-up sample by at most
 * {@value #RSS_TOLERANCE_PERCENT} % of RSS, {@value #FD_TOLERANCE} descriptors and {@value
 * #THREAD_TOLERANCE} threads. Not flat: exit code 1.
 *
 * <p>Usage: {@code SoakBench <dist dir> <scratch dir> [--cycles N]} (default {@value #CYCLES}).
 */
public final class SoakBench {
  static final int CYCLES = 1000;
  static final int SAMPLE_EVERY = 100;
  static final int RSS_TOLERANCE_PERCENT = 10;
  static final int FD_TOLERANCE = 4;
  static final int THREAD_TOLERANCE = 4;
  private static final Path GUEST_SESSIONS = Path.of("/var/lib/hearth/sessions");

  private SoakBench() {}

  record Sample(int cycle, long rssKib, int fds, long threads, double secondsPerCycle) {}

  public static void main(String[] args) throws Exception {
    Path dist = Path.of(args[0]).toAbsolutePath();
    Path scratch = Path.of(args[1]).toAbsolutePath();
    int cycles = CYCLES;
    for (int i = 2; i < args.length; i++) {
      if (args[i].equals("--cycles") && i + 1 < args.length) {
        cycles = Integer.parseInt(args[++i]);
      } else {
        throw new IllegalArgumentException("usage: SoakBench DIST SCRATCH [--cycles N]");
      }
    }
    if (cycles < 2 * SAMPLE_EVERY) {
      throw new IllegalArgumentException(
          "--cycles must be at least " + 2 * SAMPLE_EVERY + " (a warm-up sample and one more)");
    }
    boolean flat;
    try (Teardown teardown = Teardown.onStop()) {
      StandInHost host =
          teardown.start(
              () ->
                  StandInHost.prepare(
                      dist, scratch, new ProcessRunner(Posix.system(), Clock.system()), "hsoak"),
              StandInHost::close);
      Process daemon =
          teardown.start(host::startDaemon, process -> BenchDaemon.stop(process, host.socket()));
      host.trustDaemonKey();
      flat = soak(host, daemon.pid(), cycles);
    }
    if (!flat) {
      System.exit(1);
    }
  }

  private static boolean soak(StandInHost host, long pid, int cycles) throws Exception {
    try (Hearth client = Hearth.connect(host.socket())) {
      if (client.version().pid() != pid) {
        throw new IllegalStateException(
            "the daemon answering is not the one started (" + pid + ")");
      }
    }
    System.out.printf(
        Locale.ROOT,
        "soak: %d create/exec/session/delete cycles; daemon pid %d; at start: %s%n",
        cycles,
        pid,
        describe(sample(pid, 0, 0)));
    List<Sample> samples = new ArrayList<>();
    long intervalStart = System.nanoTime();
    for (int cycle = 1; cycle <= cycles; cycle++) {
      cycle(host, "soak" + cycle);
      if (cycle % SAMPLE_EVERY == 0) {
        double perCycle = (System.nanoTime() - intervalStart) / 1e9 / SAMPLE_EVERY;
        Sample s = sample(pid, cycle, perCycle);
        samples.add(s);
        System.out.printf(Locale.ROOT, "cycle %5d: %s%n", cycle, describe(s));
        System.out.flush();
        intervalStart = System.nanoTime();
      }
    }
    System.out.printf(Locale.ROOT, "descriptors at the end: %s%n", descriptorKinds(pid));
    return verdict(samples);
  }

  /** One cycle on a client connection of its own, as one CLI command per step would have it. */
  private static void cycle(StandInHost host, String vm) throws Exception {
    try (Hearth hearth = Hearth.connect(host.socket())) {
      StandInHost.create(hearth, vm);
      int exit = hearth.vms().exec(vm, ExecSpec.of("true"), (fd, data) -> {});
      if (exit != 0) {
        throw new IllegalStateException("vm.exec true in " + vm + " exited " + exit);
      }
      String session = hearth.sessions().start(SessionStart.of(vm, "sh", "-c", "echo soak")).id();
      SessionEnd end = hearth.sessions().await(vm, session);
      if (end.state() != SessionState.EXITED || end.exitCode().orElse(-1) != 0) {
        throw new IllegalStateException("session " + session + " of " + vm + " ended " + end);
      }
      StandInHost.delete(hearth, vm);
      TreeDeleter.delete(GUEST_SESSIONS.resolve(session));
    }
  }

  static boolean verdict(List<Sample> samples) {
    int warmup = Math.max(1, samples.size() / 5);
    Sample first = samples.get(warmup - 1);
    Sample last = samples.get(samples.size() - 1);
    long rssBound = first.rssKib() + first.rssKib() * RSS_TOLERANCE_PERCENT / 100;
    boolean rss = last.rssKib() <= rssBound;
    boolean fds = last.fds() <= first.fds() + FD_TOLERANCE;
    boolean threads = last.threads() <= first.threads() + THREAD_TOLERANCE;
    System.out.println();
    System.out.printf(
        Locale.ROOT, "%8s %10s %6s %8s %12s%n", "cycle", "RSS MiB", "fds", "threads", "s/cycle");
    for (Sample s : samples) {
      System.out.printf(
          Locale.ROOT,
          "%8d %10.1f %6d %8d %12.3f%s%n",
          s.cycle(),
          s.rssKib() / 1024.0,
          s.fds(),
          s.threads(),
          s.secondsPerCycle(),
          s == first ? "   <- end of warm-up" : "");
    }
    System.out.printf(
        Locale.ROOT,
        "after warm-up (cycle %d -> %d): RSS %+.1f MiB (bound +%d %%: %s), fds %+d (bound +%d:"
            + " %s), threads %+d (bound +%d: %s)%n",
        first.cycle(),
        last.cycle(),
        (last.rssKib() - first.rssKib()) / 1024.0,
        RSS_TOLERANCE_PERCENT,
        rss ? "flat" : "GREW",
        last.fds() - first.fds(),
        FD_TOLERANCE,
        fds ? "flat" : "GREW",
        last.threads() - first.threads(),
        THREAD_TOLERANCE,
        threads ? "flat" : "GREW");
    boolean flat = rss && fds && threads;
    System.out.println("verdict: " + (flat ? "flat" : "NOT FLAT"));
    return flat;
  }

  private static Sample sample(long pid, int cycle, double perCycle) throws IOException {
    return new Sample(
        cycle,
        MemoryBench.rssKib(pid),
        descriptors(pid).size(),
        MemoryBench.threads(pid),
        perCycle);
  }

  private static String describe(Sample s) {
    return String.format(
        Locale.ROOT,
        "RSS %.1f MiB, %d fds, %d threads%s",
        s.rssKib() / 1024.0,
        s.fds(),
        s.threads(),
        s.cycle() == 0 ? "" : String.format(Locale.ROOT, ", %.3f s/cycle", s.secondsPerCycle()));
  }

  private static List<Path> descriptors(long pid) throws IOException {
    List<Path> fds = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
      dir.forEach(fds::add);
    }
    return fds;
  }

  /** The descriptors by kind (socket, pipe, anon_inode:..., or the file's folder), for a leak. */
  private static Map<String, Integer> descriptorKinds(long pid) throws IOException {
    Map<String, Integer> kinds = new TreeMap<>();
    for (Path fd : descriptors(pid)) {
      String target;
      try {
        target = Files.readSymbolicLink(fd).toString();
      } catch (IOException e) {
        continue; // closed meanwhile
      }
      String kind =
          target.startsWith("/")
              ? Path.of(target).getParent() + "/"
              : target.replaceAll("\\[.*", "");
      kinds.merge(kind, 1, Integer::sum);
    }
    return kinds;
  }
}
