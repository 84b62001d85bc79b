package dev.hearth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.daemon.HearthClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Boot to SSH with the QEMU launcher: {@code vm.create} to running, median of {@value #RUNS}, split
 * into the daemon's part and the guest's part, against a real daemon started from the distribution
 * with {@code firecracker_bin = bin/hearth-qemu-firecracker} and an image made by {@code image
 * build} (its debootstrap download cached in the build cache folder given).
 *
 * <p>Timing, all on this client's monotonic clock: {@code t0} just before {@code vm.create} is
 * sent; {@code op.watch} (opened as soon as {@code vm.create} answers) delivers the op's stage
 * changes, each timestamped when it arrives; {@code t_end} when the final snapshot (succeeded)
 * arrives. Guest part = from the first notification in stage {@code boot} to the first in stage
 * {@code ready}: the launcher's start, the API calls, QEMU and the guest's boot until its SSH
 * server answers a real handshake. Daemon part = total minus guest part: the request, reserve,
 * rootfs, identity, the op's end and the answer.
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
  private static final ObjectMapper JSON = GuestBenchHost.JSON;
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
    try (GuestBenchHost host = GuestBenchHost.prepare(dist, scratch, buildCache)) {
      for (String accel : modes) {
        Process daemon = host.startDaemon(accel);
        try (HearthClient client = HearthClient.connect(host.socket())) {
          host.buildImageIfMissing(client);
          String mode =
              accel.isEmpty()
                  ? "launcher's choice (KVM when /dev/kvm is usable)"
                  : "HEARTH_QEMU_ACCEL=" + accel;
          try {
            bootOnce(client, "warmup");
            List<Map<String, Long>> runs = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
              runs.add(bootOnce(client, "bench" + i));
            }
            report(mode, runs);
          } catch (RuntimeException e) {
            // One mode failing (e.g. KVM refusing the guest) still lets the other be measured.
            System.out.printf(Locale.ROOT, "boot to SSH, %s: failed: %s%n", mode, e.getMessage());
          }
        } finally {
          GuestBenchHost.stopDaemon(daemon);
        }
      }
    }
  }

  /** One create to running; returns when each stage was first seen and the end, in ns from t0. */
  private static Map<String, Long> bootOnce(HearthClient client, String name) throws IOException {
    Map<String, Long> seen = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    JsonNode created =
        JSON.readTree(
            client.call(
                "vm.create",
                "{\"name\":\"" + name + "\",\"image\":\"" + IMAGE + "\",\"memory_mib\":512}"));
    String op = created.path("op").path("id").asText();
    JsonNode done =
        JSON.readTree(
            client.call(
                "op.watch",
                "{\"op\":\"" + op + "\"}",
                (method, params) -> {
                  long now = System.nanoTime() - t0;
                  try {
                    seen.putIfAbsent(JSON.readTree(params).path("stage").asText(), now);
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                }));
    seen.put("end", System.nanoTime() - t0);
    GuestBenchHost.requireSucceeded(done);
    client.call("vm.delete", "{\"vm\":\"" + name + "\",\"force\":true}");
    for (String stage : List.of("boot", "ready")) {
      if (!seen.containsKey(stage)) {
        throw new IllegalStateException("op.watch never showed stage " + stage + ": " + seen);
      }
    }
    return seen;
  }

  private static void report(String mode, List<Map<String, Long>> runs) {
    long[] total = runs.stream().mapToLong(r -> r.get("end")).toArray();
    long[] guest = runs.stream().mapToLong(r -> r.get("ready") - r.get("boot")).toArray();
    long[] daemon = runs.stream().mapToLong(r -> r.get("end") - (r.get("ready") - r.get("boot"))).toArray();
    System.out.printf(
        Locale.ROOT,
        "boot to SSH, %s, n=%d: vm.create to running median %.2f s (min %.2f, max %.2f);"
            + " daemon part median %.3f s; guest part median %.2f s%n",
        mode, runs.size(), seconds(median(total)), seconds(min(total)), seconds(max(total)),
        seconds(median(daemon)), seconds(median(guest)));
    StringBuilder stages = new StringBuilder("  stage medians (from entering it to the next):");
    List<String> order = new ArrayList<>(STAGES);
    order.add("end");
    for (int i = 0; i + 1 < order.size(); i++) {
      String stage = order.get(i);
      String next = order.get(i + 1);
      long[] d = runs.stream()
          .filter(r -> r.containsKey(stage) && r.containsKey(next))
          .mapToLong(r -> r.get(next) - r.get(stage))
          .toArray();
      if (d.length > 0) {
        stages.append(String.format(Locale.ROOT, " %s %.3f s;", stage, seconds(median(d))));
      }
    }
    System.out.println(stages);
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
