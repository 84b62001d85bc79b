package dev.hearth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.daemon.HearthClient;
import dev.hearth.daemon.StreamListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
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
 * daemon started from the distribution as users start it ({@code bin/hearth daemon --config
 * ...}, so with the launcher's JVM options), driven over its socket with {@link HearthClient}:
 *
 * <ol>
 *   <li>idle: once the socket answers, after a {@value #SETTLE_SECONDS} s settle;
 *   <li>after each of {@value #CYCLES} create/delete cycles ({@code vm.create} to running through
 *       {@code op.watch}, then {@code vm.delete --force}), one client connection per cycle as the
 *       CLI has it; reported every 10 cycles, and cycle 50 against cycle 100 for growth;
 *   <li>after {@value #BURST} creates at once from {@value #BURST} clients, and after their deletion;
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
 * client (and the session listing that follows a start runs too). With {@code -XX:NativeMemoryTracking=summary} in {@code HEARTH_JAVA_OPTS} the JVM's own
 * accounting ({@code jcmd VM.native_memory summary}) is printed at idle and at the end.
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
  private static final String IMAGE = "small";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NMT_LINE =
      Pattern.compile("^(Total|-\\s+[A-Za-z ]+?)\\s*\\(?\\s*reserved=\\d+KB, committed=(\\d+)KB");

  private MemoryBench() {}

  public static void main(String[] args) throws Exception {
    Path dist = Path.of(args[0]).toAbsolutePath();
    Path scratch = Path.of(args[1]).toAbsolutePath();
    Runner runner = new ProcessRunner(Posix.system(), Clock.system());
    Host host = Host.prepare(dist, scratch, runner);
    try {
      Process daemon = host.startDaemon();
      try {
        measure(host, daemon);
      } finally {
        try {
          host.deleteAllVms();
        } catch (RuntimeException e) {
          System.out.println("could not delete the bench's VMs through the daemon: " + e);
        }
        daemon.destroy();
        if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
          daemon.destroyForcibly();
        }
      }
    } finally {
      host.close();
    }
  }

  private static void measure(Host host, Process daemon) throws Exception {
    long pid;
    try (HearthClient client = HearthClient.connect(host.socket())) {
      pid = client.version().pid();
    }
    if (pid != daemon.pid()) {
      throw new IllegalStateException(
          "the daemon answering is pid " + pid + ", not the one started (" + daemon.pid() + ")");
    }
    boolean nmt = Files.readString(Path.of("/proc/" + pid + "/cmdline")).contains("NativeMemoryTracking");
    System.out.printf(Locale.ROOT, "daemon: %s%n", commandLine(pid));
    TimeUnit.SECONDS.sleep(SETTLE_SECONDS);
    long idle = rssKib(pid);
    System.out.printf(
        Locale.ROOT, "RSS idle after start (+%d s): %s (%d threads)%n",
        SETTLE_SECONDS, mib(idle), threads(pid));
    if (nmt) {
      printNmt(pid, "idle");
    }
    host.trustDaemonKey();

    long[] rss = new long[CYCLES + 1];
    for (int cycle = 1; cycle <= CYCLES; cycle++) {
      try (HearthClient client = HearthClient.connect(host.socket())) {
        create(client, "mem" + cycle);
        delete(client, "mem" + cycle);
      }
      rss[cycle] = rssKib(pid);
      if (cycle % 10 == 0) {
        System.out.printf(
            Locale.ROOT, "RSS after cycle %3d: %s (%d threads)%n",
            cycle, mib(rss[cycle]), threads(pid));
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
        running.add(pool.submit(() -> {
          try (HearthClient own = HearthClient.connect(host.socket())) {
            create(own, name);
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
    try (HearthClient client = HearthClient.connect(host.socket())) {
      for (String name : names) {
        delete(client, name);
      }
    }
    long burst = rssKib(pid);

    try (HearthClient client = HearthClient.connect(host.socket())) {
      create(client, "stream");
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
    try (HearthClient client = HearthClient.connect(host.socket())) {
      delete(client, "stream");
    }
    TimeUnit.SECONDS.sleep(SETTLE_SECONDS);
    long settled = rssKib(pid);
    if (nmt) {
      printNmt(pid, "end");
    }

    System.out.println();
    System.out.printf(
        Locale.ROOT, "%-48s %10s   target%n", "daemon RSS (VmRSS)", "MiB");
    row("idle after start", idle, "<= " + IDLE_TARGET_MIB, idle <= IDLE_TARGET_MIB * 1024);
    row("after cycle 50", rss[CYCLES / 2], "", true);
    row("after cycle 100", rss[CYCLES], "<= " + CYCLES_TARGET_MIB,
        rss[CYCLES] <= CYCLES_TARGET_MIB * 1024);
    System.out.printf(
        Locale.ROOT, "%-48s %+10.1f   (cycles 50..100: min %s, max %s)%n",
        "growth cycle 50 -> 100", growth / 1024.0, mib(min), mib(max));
    row(BURST + " creates at once, all running", burstPeak, "", true);
    row("after deleting them", burst, "", true);
    row(STREAMS + " x 100 MiB vm.exec streams at once, after", afterStreams, "", true);
    row("after deleting that VM (+" + SETTLE_SECONDS + " s)", settled, "", true);
    System.out.printf(
        Locale.ROOT, "(the %d streams took %.1f s: %.1f MiB/s together)%n",
        STREAMS, streamSeconds, STREAMS * STREAM_BYTES / 1048576.0 / streamSeconds);
  }

  private static void row(String what, long kib, String target, boolean met) {
    System.out.printf(
        Locale.ROOT, "%-48s %10.1f   %s%n",
        what, kib / 1024.0, target.isEmpty() ? "" : target + (met ? " met" : " MISSED"));
  }

  private static void create(HearthClient client, String name) throws IOException {
    JsonNode created =
        JSON.readTree(
            client.call("vm.create", "{\"name\": \"" + name + "\", \"image\": \"" + IMAGE + "\"}"));
    JsonNode last =
        JSON.readTree(
            client.call(
                "op.watch",
                "{\"op\": \"" + created.path("op").path("id").asText() + "\"}",
                (method, params) -> {}));
    if (!last.path("state").asText().equals("succeeded")) {
      throw new IllegalStateException("create of " + name + " failed: " + last);
    }
  }

  /**
   * {@code head -c} of {@value #STREAM_BYTES} bytes in the "guest" (the stand-in's sshd) through
   * {@code vm.exec} on a connection of its own; returns the stdout bytes counted.
   */
  private static long execStream(Path socket, String vm) throws IOException {
    long[] received = new long[1];
    StreamListener counter = (fd, data) -> {
      if (fd == 1) {
        received[0] += data.length;
      }
    };
    String params =
        "{\"vm\": \"" + vm + "\", \"argv\": [\"head\", \"-c\", \"" + STREAM_BYTES
            + "\", \"/dev/zero\"]}";
    try (HearthClient client = HearthClient.connect(socket);
        HearthClient.Stream stream = client.openStream("vm.exec", params, counter)) {
      stream.closeInput();
      JsonNode result = JSON.readTree(stream.awaitResult());
      if (result.path("exit_code").asInt(-1) != 0) {
        throw new IllegalStateException("vm.exec head -c exited: " + result);
      }
    }
    return received[0];
  }

  private static void delete(HearthClient client, String name) {
    client.call("vm.delete", "{\"vm\": \"" + name + "\", \"force\": true}");
  }

  static long rssKib(long pid) throws IOException {
    return statusField(pid, "VmRSS");
  }

  private static long threads(long pid) throws IOException {
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
    return String.join(
        " ", Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));
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

  /**
   * The bench's daemon setup: scratch folders and config, the image, the firecracker stand-in and
   * the sshd config it plays the guest with, and a network namespace of its own for the daemon, so
   * that its bridge, TAPs and NAT table (and the stand-ins' sshd) are apart from the host's and
   * from any other hearth daemon; {@link #close()} kills what is left in the namespace and deletes
   * it, which takes the daemon's bridge, TAPs and NAT table with it.
   */
  private static final class Host implements AutoCloseable {
    private final Path dist;
    private final Path scratch;
    private final Runner runner;
    private final String namespace;

    private Host(Path dist, Path scratch, Runner runner, String namespace) {
      this.dist = dist;
      this.scratch = scratch;
      this.runner = runner;
      this.namespace = namespace;
    }

    static Host prepare(Path dist, Path scratch, Runner runner)
        throws IOException, InterruptedException {
      for (String tool : List.of("/usr/sbin/sshd", "/usr/bin/ssh-keygen", "/usr/bin/setpriv")) {
        if (!Files.isExecutable(Path.of(tool))) {
          throw new IllegalStateException("the memory bench needs " + tool);
        }
      }
      String namespace = "hmem" + HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
      Host host = new Host(dist, scratch, runner, namespace);
      host.writeFiles();
      runner.check(Command.of("ip", "netns", "add", namespace));
      // The guests' addresses are local ones on their TAPs: local traffic needs the loopback up.
      runner.check(Command.of("ip", "-n", namespace, "link", "set", "lo", "up"));
      return host;
    }

    private void writeFiles() throws IOException, InterruptedException {
      Path firecracker = scratch.resolve("bin/firecracker");
      Files.createDirectories(firecracker.getParent());
      try (InputStream in =
          MemoryBench.class.getResourceAsStream("/dev/hearth/bench/minimal-firecracker.py")) {
        Files.copy(in, firecracker);
      }
      Files.setPosixFilePermissions(firecracker, PosixFilePermissions.fromString("rwxr-xr-x"));

      Path image = Files.createDirectories(scratch.resolve("state/images").resolve(IMAGE));
      Files.writeString(image.resolve("vmlinux"), "benchmark kernel placeholder\n");
      runner.check(
          Command.of("mkfs.ext4", "-F", "-q", image.resolve("rootfs.ext4").toString(), "64M"));

      Path sshd = Files.createDirectories(scratch.resolve("guest-sshd"));
      Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege separation folder
      Path hostKey = sshd.resolve("host_ecdsa_key");
      // ECDSA: MINA without an ed25519 provider cannot check ed25519 host signatures.
      runner.check(
          Command.of("ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", hostKey.toString()));
      Files.write(
          sshd.resolve("sshd_config"),
          List.of(
              "Port 22",
              "HostKey " + hostKey,
              "AuthorizedKeysFile " + sshd.resolve("authorized_keys"),
              "PermitRootLogin prohibit-password",
              "PubkeyAuthentication yes",
              "PasswordAuthentication no",
              "KbdInteractiveAuthentication no",
              "StrictModes no",
              "UsePAM no",
              // sshd runs commands through root's shell, and bash reads ~/.bashrc for them unless
              // it is a nested shell: this host's root profile is not the guest's.
              "SetEnv SHLVL=1",
              "PidFile none"));

      // Defaults for everything else (bridge, addresses, TAP pool, timeouts, log level): the
      // namespace keeps them apart from the host's.
      Files.writeString(
          config(),
          String.join(
              "\n",
              "state_dir = \"" + scratch.resolve("state") + "\"",
              "runtime_dir = \"" + scratch.resolve("run") + "\"",
              "socket_group = \"\"",
              "firecracker_bin = \"" + firecracker + "\"",
              // dm-snapshot devices are the host's, not the namespace's.
              "disk_provisioner = \"copy\"",
              ""));
    }

    Path config() {
      return scratch.resolve("config.toml");
    }

    Path socket() {
      return scratch.resolve("run/hearth.sock");
    }

    /**
     * {@code bin/hearth daemon --config ...} in the namespace ({@code ip netns exec} execs it, so
     * the pid is the JVM's), its output in {@code daemon.log}; waits for its socket.
     */
    Process startDaemon() throws IOException, InterruptedException {
      ProcessBuilder builder =
          new ProcessBuilder(
                  "ip", "netns", "exec", namespace,
                  dist.resolve("bin/hearth").toString(), "daemon", "--config", config().toString())
              .redirectErrorStream(true)
              .redirectOutput(scratch.resolve("daemon.log").toFile());
      builder.environment().put(
          "HEARTH_BENCH_GUEST_SSHD", scratch.resolve("guest-sshd/sshd_config").toString());
      Process daemon = builder.start();
      for (int i = 0; i < 600 && !Files.exists(socket()); i++) {
        if (!daemon.isAlive()) {
          throw new IllegalStateException(
              "daemon exited " + daemon.exitValue() + ": "
                  + Files.readString(scratch.resolve("daemon.log")));
        }
        Thread.sleep(100);
      }
      if (!Files.exists(socket())) {
        throw new IllegalStateException("no daemon socket at " + socket() + " after 60 s");
      }
      return daemon;
    }

    /** The guest's authorized key: the daemon's public key, made on its first start. */
    void trustDaemonKey() throws InterruptedException {
      Path key = scratch.resolve("state/ssh/id_ed25519");
      String publicKey = runner.check(Command.of("ssh-keygen", "-y", "-f", key.toString())).stdout();
      try {
        Files.writeString(scratch.resolve("guest-sshd/authorized_keys"), publicKey);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Force-deletes every VM the daemon has, so that nothing is left running after the bench. */
    void deleteAllVms() throws IOException {
      try (HearthClient client = HearthClient.connect(socket())) {
        for (JsonNode vm : JSON.readTree(client.call("vm.list", "{}")).path("vms")) {
          delete(client, vm.path("name").asText());
        }
      }
    }

    @Override
    public void close() throws InterruptedException {
      // Stand-ins of VMs that a failure left behind, and their sshd.
      String pids = runner.check(Command.of("ip", "netns", "pids", namespace)).stdout().strip();
      if (!pids.isEmpty()) {
        List<String> kill = new ArrayList<>(List.of("kill", "-KILL"));
        kill.addAll(List.of(pids.split("\\s+")));
        runner.run(Command.of(kill));
      }
      runner.check(Command.of("ip", "netns", "del", namespace));
    }
  }
}
