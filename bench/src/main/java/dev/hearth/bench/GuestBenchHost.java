package dev.hearth.bench;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.ImageBuildSpec;
import dev.hearth.daemon.Op;
import dev.hearth.daemon.OpState;
import dev.hearth.fcproc.net.Bridge;
import dev.hearth.fcproc.net.HostNetworkEnvironment;
import dev.hearth.fcproc.net.Ipv4Cidr;
import dev.hearth.fcproc.net.NatRules;
import dev.hearth.fcproc.net.TapDevices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The setup shared by the benchmarks that run real guests ({@link BootBench}, {@link ExecBench}): a
 * scratch config for a daemon from the distribution with {@code firecracker_bin =
 * bin/hearth-qemu-firecracker}, a bridge, subnet, TAP prefix and nft tables of its own, the image
 * {@value #IMAGE} made by {@code image build} (its debootstrap download cached in the build cache
 * folder given), and on {@link #close()} the removal of what the daemon leaves on the host when it
 * stops (its pooled TAPs, bridge and NAT table). Needs root.
 */
final class GuestBenchHost implements AutoCloseable {
  static final String IMAGE = "bench";

  private final Path dist;
  private final Path scratch;
  private final Path state;
  private final Path runtime;
  private final Path config;
  private final Runner runner;
  private final String bridge;
  private final Ipv4Cidr cidr;
  private final String tapPrefix;
  private final String networkTag;

  private GuestBenchHost(
      Path dist, Path scratch, Runner runner, String bridge, String suffix, Ipv4Cidr cidr) {
    this.dist = dist;
    this.scratch = scratch;
    this.state = scratch.resolve("state");
    this.runtime = scratch.resolve("run");
    this.config = scratch.resolve("config.toml");
    this.runner = runner;
    this.bridge = bridge;
    this.cidr = cidr;
    this.tapPrefix = "hb" + suffix + "t";
    this.networkTag = "hearth_bench_" + suffix;
  }

  /** Checks the host and writes the daemon's config; nothing is created on the host yet. */
  static GuestBenchHost prepare(Path dist, Path scratch, Path buildCache)
      throws IOException, InterruptedException {
    return prepare(dist, scratch, buildCache, "hbench", "10.207.");
  }

  /**
   * As {@link #prepare(Path, Path, Path)}, with the bridge named {@code bridgePrefix} and four hex
   * digits, in a /24 of {@code subnetPrefix} (the first two octets and a dot) that no route or
   * address of the host uses yet.
   */
  static GuestBenchHost prepare(
      Path dist, Path scratch, Path buildCache, String bridgePrefix, String subnetPrefix)
      throws IOException, InterruptedException {
    Path launcher = dist.resolve("bin/hearth-qemu-firecracker");
    if (!Files.isExecutable(launcher)) {
      throw new IllegalStateException("no QEMU launcher at " + launcher);
    }
    Runner runner = new ProcessRunner(Posix.system(), Clock.system());
    // The bridge, TAP prefix and nft tables are this run's own: a hearth daemon of the host keeps
    // its own, and the bench's clean-up never touches them.
    String suffix = HexFormat.of().formatHex(new SecureRandom().generateSeed(2));
    Ipv4Cidr cidr = freeSubnet(runner, subnetPrefix);
    GuestBenchHost host =
        new GuestBenchHost(dist, scratch, runner, bridgePrefix + suffix, suffix, cidr);
    Files.createDirectories(host.state.resolve("cache"));
    Files.createDirectories(buildCache);
    Files.createSymbolicLink(host.state.resolve("cache/build"), buildCache);
    Files.writeString(
        host.config,
        String.join(
            "\n",
            "state_dir = \"" + host.state + "\"",
            "runtime_dir = \"" + host.runtime + "\"",
            "socket_group = \"\"",
            "log_level = \"warn\"",
            "firecracker_bin = \"" + launcher + "\"",
            "bridge_name = \"" + host.bridge + "\"",
            "bridge_cidr = \"" + cidr + "\"",
            "tap_prefix = \"" + host.tapPrefix + "\"",
            "network_tag = \"" + host.networkTag + "\"",
            "dns_host_listen = \"\"",
            "web_listen_addr = \"\"",
            "ssh_wait_timeout = \"2m\"",
            ""));
    return host;
  }

  private static Ipv4Cidr freeSubnet(Runner runner, String prefix) throws InterruptedException {
    String routes = runner.check(Command.of("ip", "-4", "-o", "route", "show")).stdout();
    String addresses = runner.check(Command.of("ip", "-4", "-o", "addr", "show")).stdout();
    SecureRandom random = new SecureRandom();
    for (int i = 0; i < 64; i++) {
      String net = prefix + random.nextInt(256) + ".";
      if (!routes.contains(net) && !addresses.contains(net)) {
        return Ipv4Cidr.parse(net + "1/24");
      }
    }
    throw new IllegalStateException("no free /24 in " + prefix + "0.0/16 on this host");
  }

  Path socket() {
    return runtime.resolve("hearth.sock");
  }

  /** The daemon's private key for the guests, as OpenSSH reads it. */
  Path guestKey() {
    return state.resolve("ssh/id_ed25519");
  }

  /** A VM's folder in the daemon's state (console.log, firecracker.log). */
  Path vmDir(String id) {
    return state.resolve("vms").resolve(id);
  }

  /** {@code bin/hearth} of the distribution. */
  Path cli() {
    return dist.resolve("bin/hearth");
  }

  /**
   * Starts {@code bin/hearth daemon} (output appended to {@code daemon.log} in the scratch folder)
   * and waits for its socket.
   *
   * @param accel {@code HEARTH_QEMU_ACCEL} for the launcher; empty for the launcher's own choice
   */
  Process startDaemon(String accel) throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(
                BenchDaemon.inOwnSession(
                    List.of(cli().toString(), "daemon", "--config", config.toString())))
            .redirectErrorStream(true)
            .redirectOutput(
                ProcessBuilder.Redirect.appendTo(scratch.resolve("daemon.log").toFile()));
    if (accel.isEmpty()) {
      builder.environment().remove("HEARTH_QEMU_ACCEL");
    } else {
      builder.environment().put("HEARTH_QEMU_ACCEL", accel);
    }
    Process daemon = builder.start();
    BenchDaemon.awaitSocket(daemon, socket(), scratch.resolve("daemon.log"));
    return daemon;
  }

  /** Builds the image {@value #IMAGE} unless it exists (untimed for the benchmarks). */
  void buildImageIfMissing(Hearth hearth) throws InterruptedException {
    if (Files.isDirectory(state.resolve("images").resolve(IMAGE))) {
      return;
    }
    long start = System.nanoTime();
    hearth.images().build(ImageBuildSpec.of(IMAGE)).operation().await();
    System.out.printf(
        Locale.ROOT,
        "image build (untimed for the bench): %.1f s%n",
        (System.nanoTime() - start) / 1e9);
  }

  static void requireSucceeded(Op op) {
    if (op.state() != OpState.SUCCEEDED) {
      throw new IllegalStateException(
          "operation did not succeed: "
              + op.failure().map(Exception::getMessage).orElse(op.toString()));
    }
  }

  @Override
  public void close() throws InterruptedException {
    // The daemon keeps its pooled TAPs, bridge and NAT table when it stops: host setup.
    TapDevices tapDevices = new TapDevices(runner, tapPrefix);
    for (String tap : tapDevices.list()) {
      tapDevices.delete(tap);
    }
    new NatRules(runner, HostNetworkEnvironment.system(), bridge, cidr, networkTag).remove();
    new Bridge(runner, bridge, cidr).remove();
  }
}
