package dev.hearth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.daemon.HearthClient;
import dev.hearth.fcproc.Bridge;
import dev.hearth.fcproc.HostNetworkEnvironment;
import dev.hearth.fcproc.Ipv4Cidr;
import dev.hearth.fcproc.NatRules;
import dev.hearth.fcproc.TapDevices;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
 * <p>Usage: {@code BootBench <dist dir> <scratch dir> <build cache dir>}; needs root.
 */
public final class BootBench {
  private static final int RUNS = 5;
  private static final String IMAGE = "bench";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> STAGES =
      List.of("reserve", "rootfs", "identity", "boot", "wait-ssh", "ready");

  private BootBench() {}

  public static void main(String[] args) throws Exception {
    Path dist = Path.of(args[0]).toAbsolutePath();
    Path scratch = Path.of(args[1]).toAbsolutePath();
    Path buildCache = Path.of(args[2]).toAbsolutePath();
    Path launcher = dist.resolve("bin/hearth-qemu-firecracker");
    if (!Files.isExecutable(launcher)) {
      throw new IllegalStateException("no QEMU launcher at " + launcher);
    }
    Runner runner = new ProcessRunner(Posix.system(), Clock.system());
    String taps = runner.check(Command.of("ip", "-o", "link", "show")).stdout();
    if (taps.matches("(?s).*: htap[0-9]+[:@].*")) {
      throw new IllegalStateException(
          "this host has hearth TAPs (htapN): another hearth daemon runs; the bench's daemon would"
              + " take them over");
    }
    String bridge = "hbench" + HexFormat.of().formatHex(new SecureRandom().generateSeed(2));
    Ipv4Cidr cidr = Ipv4Cidr.parse("10.207." + new SecureRandom().nextInt(256) + ".1/24");
    Path state = scratch.resolve("state");
    Path runtime = scratch.resolve("run");
    Files.createDirectories(state.resolve("cache"));
    Files.createDirectories(buildCache);
    Files.createSymbolicLink(state.resolve("cache/build"), buildCache);
    Path config = scratch.resolve("config.toml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "state_dir = \"" + state + "\"",
            "runtime_dir = \"" + runtime + "\"",
            "socket_group = \"\"",
            "log_level = \"warn\"",
            "firecracker_bin = \"" + launcher + "\"",
            "bridge_name = \"" + bridge + "\"",
            "bridge_cidr = \"" + cidr + "\"",
            "dns_host_listen = \"\"",
            "web_listen_addr = \"\"",
            "ssh_wait_timeout = \"2m\"",
            ""));
    List<String> modes = new ArrayList<>(List.of(""));
    if (Files.exists(Path.of("/dev/kvm"))) {
      modes.add("tcg");
    }
    try {
      for (String accel : modes) {
        Process daemon = startDaemon(dist, config, runtime, scratch, accel);
        try (HearthClient client = HearthClient.connect(runtime.resolve("hearth.sock"))) {
          if (!Files.isDirectory(state.resolve("images").resolve(IMAGE))) {
            long start = System.nanoTime();
            String op = JSON.readTree(client.call("image.build", "{\"name\":\"" + IMAGE + "\"}"))
                .path("op").path("id").asText();
            JsonNode built = JSON.readTree(client.call("op.watch", "{\"op\":\"" + op + "\"}", (m, p) -> { }));
            requireSucceeded(built);
            System.out.printf(
                Locale.ROOT, "image build (untimed for the bench): %.1f s%n", seconds(System.nanoTime() - start));
          }
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
          daemon.destroy();
          daemon.waitFor(60, TimeUnit.SECONDS);
        }
      }
    } finally {
      // The daemon keeps its pooled TAPs, bridge and NAT table when it stops: host setup.
      TapDevices tapDevices = new TapDevices(runner);
      for (String tap : tapDevices.list()) {
        tapDevices.delete(tap);
      }
      new NatRules(runner, HostNetworkEnvironment.system(), bridge, cidr).remove();
      new Bridge(runner, bridge, cidr).remove();
    }
  }

  private static Process startDaemon(Path dist, Path config, Path runtime, Path scratch, String accel)
      throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(dist.resolve("bin/hearth").toString(), "daemon", "--config", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(scratch.resolve("daemon.log").toFile()));
    if (accel.isEmpty()) {
      builder.environment().remove("HEARTH_QEMU_ACCEL");
    } else {
      builder.environment().put("HEARTH_QEMU_ACCEL", accel);
    }
    Process daemon = builder.start();
    Path socket = runtime.resolve("hearth.sock");
    for (int i = 0; i < 300 && !Files.exists(socket); i++) {
      if (!daemon.isAlive()) {
        throw new IllegalStateException("daemon exited " + daemon.exitValue() + "; see " + scratch.resolve("daemon.log"));
      }
      Thread.sleep(100);
    }
    return daemon;
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
    requireSucceeded(done);
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

  private static void requireSucceeded(JsonNode op) {
    if (!op.path("state").asText().equals("succeeded")) {
      throw new IllegalStateException("operation did not succeed: " + op);
    }
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
