package dev.hearth.bench;

import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.Op;
import dev.hearth.daemon.VmCreation;
import dev.hearth.daemon.VmSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Boot to SSH with the QEMU launcher: {@code vm.create} to running, median of {@value #RUNS}, split
 * into the daemon's part and the guest's part, against a real daemon started from the distribution
 * with {@code firecracker_bin = bin/hearth-qemu-firecracker} and an image made by {@code image
 * build} (its debootstrap download cached in the build cache folder given).
 *
 * <p>Timing, all on this client's monotonic clock (the typed client, {@link Hearth#connect}):
 * {@code t0} just before {@code vm.create} is sent; the operation's watch ({@code op.watch}, opened
 * as soon as {@code vm.create} answers) delivers the op's stage changes, each timestamped when it
 * arrives; {@code t_end} when the final snapshot (succeeded) arrives. Guest part = from the first
 * notification in stage {@code boot} to the first in stage {@code ready}: the launcher's start, the
 * API calls, QEMU and the guest's boot until its SSH server answers a real handshake. Daemon part =
 * total minus guest part: the request, reserve, rootfs, identity, the op's end and the answer.
 *
 * <p>The guest part is split further, from the VM's own records read after each boot (untimed): the
 * launcher's log gives the wall-clock time QEMU was started; in the guest (one {@code vm.exec}),
 * dmesg gives when the kernel ran the initrd's (or the root's) init, systemd when it started and
 * when {@code ssh.socket} started listening, and the journal when sshd accepted the first login
 * (the daemon's SSH wait). The guest's clock must be right for this: under TCG the launcher gives
 * the kernel {@code tsc=reliable}, without which the guest falls back to jiffies and its clock runs
 * slow while QEMU's threads wait for the host's CPUs.
 *
 * <p>Runs once with the launcher's own choice (KVM when /dev/kvm is usable) and, when /dev/kvm
 * exists, once more with {@code HEARTH_QEMU_ACCEL=tcg} (software emulation, as CI has it). Each VM
 * is deleted before the next (untimed); one untimed create first warms the page cache.
 *
 * <p>Usage: {@code BootBench <dist dir> <scratch dir> <build cache dir>}; needs root. The host
 * setup is {@link GuestBenchHost}'s.
 */
public final class BootBench {
  private static final int RUNS = 5;
  private static final String IMAGE = GuestBenchHost.IMAGE;
  private static final List<String> STAGES =
      List.of("reserve", "rootfs", "identity", "boot", "wait-ssh", "ready");

  private BootBench() {}

  public static void main(String[] args) throws Exception {
    Path dist = Path.of(args[0]).toAbsolutePath();
    Path scratch = Path.of(args[1]).toAbsolutePath();
    Path buildCache = Path.of(args[2]).toAbsolutePath();
    List<String> modes = new ArrayList<>(List.of(""));
    if (Files.exists(Path.of("/dev/kvm"))) {
      modes.add("tcg");
    }
    try (Teardown teardown = Teardown.onStop()) {
      GuestBenchHost host =
          teardown.start(
              () -> GuestBenchHost.prepare(dist, scratch, buildCache), GuestBenchHost::close);
      for (String accel : modes) {
        Process daemon =
            teardown.start(
                () -> host.startDaemon(accel), process -> BenchDaemon.stop(process, host.socket()));
        try (Hearth client = Hearth.connect(host.socket())) {
          host.buildImageIfMissing(client);
          String mode =
              accel.isEmpty()
                  ? "launcher's choice (KVM when /dev/kvm is usable)"
                  : "HEARTH_QEMU_ACCEL=" + accel;
          try {
            bootOnce(host, client, "warmup");
            List<Map<String, Long>> runs = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
              runs.add(bootOnce(host, client, "bench" + i));
            }
            report(mode, runs);
          } catch (RuntimeException e) {
            // One mode failing (e.g. KVM refusing the guest) still lets the other be measured.
            System.out.printf(Locale.ROOT, "boot to SSH, %s: failed: %s%n", mode, e.getMessage());
          }
        } finally {
          // A daemon of its own per mode (HEARTH_QEMU_ACCEL is the launcher's environment).
          teardown.undo(daemon);
        }
      }
    }
  }

  /** The guest's own markers, in seconds since its kernel started; NaN when not found. */
  private static final String GUEST_MARKERS =
      String.join(
          "\n",
          "init=$(dmesg | sed -n 's/^\\[ *\\([0-9]*\\.[0-9]*\\)\\] Run \\/[^ ]* as init process.*/\\1/p' | head -n 1)",
          "echo \"init ${init:-nan}\"",
          "echo \"systemd_us $(systemctl show -P UserspaceTimestampMonotonic)\"",
          "socket=$(systemctl show -P ActiveEnterTimestampMonotonic ssh.socket)",
          "[ \"${socket:-0}\" != 0 ] || socket=$(systemctl show -P ActiveEnterTimestampMonotonic ssh.service)",
          "echo \"socket_us ${socket:-0}\"",
          "login=$(journalctl -b -o short-monotonic -t sshd --grep 'Accepted publickey' --no-pager 2>/dev/null"
              + " | sed -n 's/^\\[ *\\([0-9]*\\.[0-9]*\\)\\].*/\\1/p' | head -n 1)",
          "echo \"login ${login:-nan}\"");

  private static final Pattern QEMU_START =
      Pattern.compile("^(\\S+) \\[[^]]*\\] hearth-qemu-firecracker: starting ", Pattern.MULTILINE);

  /**
   * One create to running. Returns when each stage was first seen and the end, in ns from t0, and
   * the guest split in ns ({@code launcher}, {@code kernel}, {@code initrd}, {@code systemd},
   * {@code sshd}, {@code rest}) where the VM's records have it.
   */
  private static Map<String, Long> bootOnce(GuestBenchHost host, Hearth client, String name)
      throws IOException, InterruptedException {
    Map<String, Long> seen = new LinkedHashMap<>();
    Map<String, Instant> wall = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    VmCreation created = client.vms().create(VmSpec.of(name, IMAGE).withMemoryMib(512));
    String id = created.vm().id();
    Op done =
        created
            .operation()
            .watch(
                progress -> {
                  long now = System.nanoTime() - t0;
                  if (seen.putIfAbsent(progress.stage(), now) == null) {
                    wall.put(progress.stage(), Instant.now());
                  }
                });
    seen.put("end", System.nanoTime() - t0);
    GuestBenchHost.requireSucceeded(done);
    for (String stage : List.of("boot", "ready")) {
      if (!seen.containsKey(stage)) {
        throw new IllegalStateException("op.watch never showed stage " + stage + ": " + seen);
      }
    }
    seen.putAll(guestSplit(host, client, name, id, wall.get("boot"), wall.get("ready")));
    client.vms().delete(name, true);
    return seen;
  }

  /**
   * The guest part cut at QEMU's start and the guest's own markers; parts not found are left out.
   */
  private static Map<String, Long> guestSplit(
      GuestBenchHost host, Hearth client, String vm, String id, Instant boot, Instant ready)
      throws IOException, InterruptedException {
    Map<String, Long> split = new LinkedHashMap<>();
    Matcher started =
        QEMU_START.matcher(Files.readString(host.vmDir(id).resolve("firecracker.log")));
    if (!started.find()) {
      return split;
    }
    Instant qemu = Instant.parse(started.group(1));
    split.put("launcher", Duration.between(boot, qemu).toNanos());
    Map<String, Double> markers = new LinkedHashMap<>();
    for (String line : guestExec(client, vm, GUEST_MARKERS).split("\n")) {
      String[] kv = line.strip().split(" ", 2);
      if (kv.length == 2) {
        try {
          double value = Double.parseDouble(kv[1]);
          markers.put(kv[0], kv[0].endsWith("_us") ? value / 1e6 : value);
        } catch (NumberFormatException e) {
          // left out
        }
      }
    }
    double init = markers.getOrDefault("init", Double.NaN);
    double systemd = markers.getOrDefault("systemd_us", Double.NaN);
    double socket = markers.getOrDefault("socket_us", Double.NaN);
    double login = markers.getOrDefault("login", Double.NaN);
    putSeconds(split, "kernel", init);
    putSeconds(split, "initrd", systemd - init);
    putSeconds(split, "systemd", socket - systemd);
    putSeconds(split, "sshd", login - socket);
    putSeconds(split, "rest", Duration.between(qemu, ready).toNanos() / 1e9 - login);
    return split;
  }

  private static void putSeconds(Map<String, Long> split, String key, double seconds) {
    if (!Double.isNaN(seconds) && seconds > 0) {
      split.put(key, (long) (seconds * 1e9));
    }
  }

  /** Runs {@code sh -c script} in the VM and returns its stdout. */
  private static String guestExec(Hearth client, String vm, String script)
      throws InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    client
        .vms()
        .exec(
            vm,
            ExecSpec.of("sh", "-c", script),
            (fd, data) -> {
              if (fd == 1) {
                out.writeBytes(data);
              }
            });
    return out.toString(StandardCharsets.UTF_8);
  }

  private static void report(String mode, List<Map<String, Long>> runs) {
    long[] total = runs.stream().mapToLong(r -> r.get("end")).toArray();
    long[] guest = runs.stream().mapToLong(r -> r.get("ready") - r.get("boot")).toArray();
    long[] daemon =
        runs.stream().mapToLong(r -> r.get("end") - (r.get("ready") - r.get("boot"))).toArray();
    System.out.printf(
        Locale.ROOT,
        "boot to SSH, %s, n=%d: vm.create to running median %.2f s (min %.2f, max %.2f);"
            + " daemon part median %.3f s; guest part median %.2f s%n",
        mode,
        runs.size(),
        seconds(median(total)),
        seconds(min(total)),
        seconds(max(total)),
        seconds(median(daemon)),
        seconds(median(guest)));
    StringBuilder stages = new StringBuilder("  stage medians (from entering it to the next):");
    List<String> order = new ArrayList<>(STAGES);
    order.add("end");
    for (int i = 0; i + 1 < order.size(); i++) {
      String stage = order.get(i);
      String next = order.get(i + 1);
      long[] d =
          runs.stream()
              .filter(r -> r.containsKey(stage) && r.containsKey(next))
              .mapToLong(r -> r.get(next) - r.get(stage))
              .toArray();
      if (d.length > 0) {
        stages.append(String.format(Locale.ROOT, " %s %.3f s;", stage, seconds(median(d))));
      }
    }
    System.out.println(stages);
    StringBuilder split = new StringBuilder("  guest part split (medians):");
    Map<String, String> parts = new LinkedHashMap<>();
    parts.put("launcher", "boot stage to QEMU started");
    parts.put("kernel", "kernel to init");
    parts.put("initrd", "init (initrd) to systemd");
    parts.put("systemd", "systemd to ssh.socket");
    parts.put("sshd", "ssh.socket to the first SSH login");
    parts.put("rest", "that login to ready, with QEMU's own start");
    for (Map.Entry<String, String> part : parts.entrySet()) {
      long[] d =
          runs.stream()
              .filter(r -> r.containsKey(part.getKey()))
              .mapToLong(r -> r.get(part.getKey()))
              .toArray();
      if (d.length == 0) {
        continue;
      }
      split.append(String.format(Locale.ROOT, " %s %.2f s", part.getValue(), seconds(median(d))));
      if (d.length < runs.size()) {
        split.append(String.format(Locale.ROOT, " (%d of %d runs)", d.length, runs.size()));
      }
      split.append(';');
    }
    System.out.println(split);
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static long min(long[] values) {
    return Arrays.stream(values).min().orElseThrow();
  }

  private static long max(long[] values) {
    return Arrays.stream(values).max().orElseThrow();
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
