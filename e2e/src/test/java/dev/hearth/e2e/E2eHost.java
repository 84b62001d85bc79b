package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Layout;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.ShellQuote;
import dev.hearth.core.TreeDeleter;
import dev.hearth.core.testing.Await;
import dev.hearth.fcproc.net.Bridge;
import dev.hearth.fcproc.net.HostNetworkEnvironment;
import dev.hearth.fcproc.net.Ipv4Cidr;
import dev.hearth.fcproc.net.NatRules;
import dev.hearth.fcproc.testing.TestNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real hearth daemon for the suite, run from the distribution ({@code bin/hearth daemon}) as a
 * child process, with everything of its own under one work folder in /tmp: config, state and
 * runtime folders, its log. It gets a bridge name and a /24 that nothing on the host uses, no TAP
 * pool (a deleted VM's TAP must go), and the debootstrap cache of {@code image build} pointed at a
 * folder that outlives the run. Its config has no {@code firecracker_bin} (unless one is given) and
 * its PATH no firecracker, so that {@code vmm = auto} must find the distribution's {@code
 * bin/hearth-qemu-firecracker} by itself, as on a fresh host. The CLI is the distribution's {@code
 * bin/hearth}; guests are reached only through it ({@code vm exec}, {@code vm cp}, sessions), as a
 * user reaches them.
 */
final class E2eHost implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DAEMON_START = Duration.ofSeconds(60);
  private static final Duration DAEMON_STOP = Duration.ofSeconds(60);

  final Path work;
  final Layout layout;

  /** The distribution the daemon and the CLI run from. */
  final Path dist;

  /** The daemon's {@code firecracker_bin}; none lets {@code vmm = auto} choose. */
  final Optional<Path> firecracker;

  final Path hearth;
  final Path config;
  final Path daemonLog;
  final String bridge;
  final Ipv4Cidr bridgeCidr;

  /** The daemon's {@code tap_prefix} and {@code network_tag}, this run's own. */
  final String tapPrefix;

  final String networkTag;
  final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  final HostLeaks leaks;
  private final ConsoleKeeper consoles;

  /** Every VM id the suite saw, for the leak checks (device-mapper names, processes). */
  private final Set<String> vmIds = new LinkedHashSet<>();

  private Process daemon;

  private E2eHost(
      Path work, Path dist, Optional<Path> firecracker, String suffix, Ipv4Cidr bridgeCidr)
      throws IOException {
    this.work = work;
    this.layout = new Layout(work.resolve("state"), work.resolve("run"));
    this.dist = dist;
    this.firecracker = firecracker;
    this.hearth = dist.resolve("bin/hearth");
    this.config = work.resolve("config.toml");
    this.daemonLog = work.resolve("daemon.log");
    this.bridge = "he2e" + suffix;
    this.bridgeCidr = bridgeCidr;
    this.tapPrefix = "h" + suffix + "t";
    this.networkTag = "hearth_e2e_" + suffix;
    this.leaks = new HostLeaks(runner, layout, work, bridge, tapPrefix, networkTag);
    this.consoles = new ConsoleKeeper(layout.vmsDir(), work.resolve("consoles"));
  }

  /**
   * {@link #prepare} with what the build passes as system properties ({@code hearth.e2e.dist},
   * {@code hearth.e2e.firecracker}, {@code hearth.e2e.buildCache}). A test class keeps the host
   * before it calls {@link #startDaemon}, so that a daemon that fails to start still has its log
   * kept and is cleaned up ({@link #finish}).
   */
  static E2eHost prepareFromSystemProperties() throws IOException, InterruptedException {
    Path dist = Path.of(System.getProperty("hearth.e2e.dist", "../cli/target/hearth-dist"));
    Optional<Path> firecracker =
        Optional.of(System.getProperty("hearth.e2e.firecracker", ""))
            .filter(f -> !f.isEmpty())
            .map(Path::of);
    return prepare(
        dist.toAbsolutePath().normalize(),
        firecracker,
        Path.of(System.getProperty("hearth.e2e.buildCache", "/var/cache/hearth-test/build")));
  }

  /**
   * Prepares the work folder and the config; the daemon is not started yet.
   *
   * @param firecracker a {@code firecracker_bin} for the daemon; none lets {@code vmm = auto}
   *     choose
   * @param buildCache where {@code image build} keeps its base trees between runs
   */
  static E2eHost prepare(Path dist, Optional<Path> firecracker, Path buildCache)
      throws IOException, InterruptedException {
    if (!Files.isExecutable(dist.resolve("bin/hearth"))) {
      throw new IllegalStateException(
          "no hearth distribution at "
              + dist
              + " (cli's package phase builds it: run the suite"
              + " through the reactor, e.g. ./mvnw verify -Pe2e -pl e2e -am)");
    }
    if (firecracker.isPresent() && !Files.isExecutable(firecracker.get())) {
      throw new IllegalStateException(
          "firecracker_bin " + firecracker.get() + " is not an executable file");
    }
    String suffix = HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
    Path work = Files.createTempDirectory(Path.of("/tmp"), "hearth-e2e-");
    // Searchable (not listable) by vm_user, as /var/lib and /run are: the VMMs run as it and reach
    // their own files through here (their mount namespaces cover state_dir and runtime_dir).
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx--x--x"));
    Runner probe = new ProcessRunner(Posix.system(), Clock.system());
    // The VMMs run as vm_user and exec the distribution's launcher: like an install (/opt/hearth),
    // the copy they run is one vm_user can reach, whatever the modes of the checkout's folders
    // (a clone under /root, or in a 0700 temporary folder, is not).
    Path installed = work.resolve("dist");
    probe.check(Command.of("cp", "-a", dist.toAbsolutePath().toString(), installed.toString()));
    // Bridge, TAPs and nft tables are this run's own, beside a host's daemon or another run.
    E2eHost host =
        new E2eHost(
            work,
            installed,
            firecracker,
            suffix,
            TestNetwork.freeNetwork(probe, 200 + new SecureRandom().nextInt(8)));
    Files.createDirectories(buildCache);
    Files.createDirectories(host.layout.imageBuildCacheDir().getParent());
    Files.createSymbolicLink(host.layout.imageBuildCacheDir(), buildCache);
    host.writeConfig(firecracker);
    return host;
  }

  private void writeConfig(Optional<Path> firecracker) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("state_dir", layout.stateDir().toString());
    values.put("runtime_dir", layout.runtimeDir().toString());
    values.put("socket_group", "");
    values.put("log_level", "info");
    firecracker.ifPresent(f -> values.put("firecracker_bin", f.toString()));
    values.put("bridge_name", bridge);
    values.put("bridge_cidr", bridgeCidr.toString());
    values.put("tap_prefix", tapPrefix);
    values.put("network_tag", networkTag);
    values.put("tap_pool_size", "0");
    values.put("dns_host_listen", "");
    values.put("web_listen_addr", "");
    // Emulated guests on a busy 2-core CI host boot in 15 s to a minute.
    values.put("ssh_wait_timeout", "5m");
    values.put("stop_timeout", "60s");
    StringBuilder toml = new StringBuilder("# hearth e2e suite daemon\n");
    values.forEach(
        (key, value) ->
            toml.append(key)
                .append(" = ")
                .append(key.equals("tap_pool_size") ? value : quote(value))
                .append('\n'));
    Files.writeString(config, toml);
  }

  /**
   * Adds {@code key = value} to the daemon's config before {@link #startDaemon}; {@code tomlValue}
   * is TOML as it is (quoted by the caller where it is a string).
   */
  void addConfig(String key, String tomlValue) throws IOException {
    Files.writeString(config, key + " = " + tomlValue + "\n", StandardOpenOption.APPEND);
  }

  /** The distribution's QEMU launcher, which {@code vmm = auto} finds without firecracker. */
  Path launcher() {
    return dist.resolve("bin/hearth-qemu-firecracker");
  }

  /** Starts {@code bin/hearth daemon --config ...} and waits until it answers. */
  void startDaemon() throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(hearth.toString(), "daemon", "--config", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(daemonLog.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    // As on a host without Firecracker; bin/hearth sets HEARTH_HOME to the distribution itself.
    builder.environment().put("PATH", withoutFirecracker(System.getenv("PATH")));
    builder.environment().remove("HEARTH_HOME");
    daemon = builder.start();
    Await.until(
        DAEMON_START,
        "the hearth daemon to answer `hearth version`; see " + daemonLog,
        () -> {
          if (!daemon.isAlive()) {
            throw new IllegalStateException(
                "hearth daemon exited "
                    + daemon.exitValue()
                    + " before answering; see "
                    + daemonLog);
          }
          return Files.exists(layout.socket()) && hearth(Duration.ofSeconds(30), "version").ok();
        });
  }

  /** The PATH without the folders that hold an executable {@code firecracker}. */
  static String withoutFirecracker(String path) {
    List<String> kept = new ArrayList<>();
    for (String dir : (path == null ? "" : path).split(":")) {
      if (!dir.isEmpty() && !Files.isExecutable(Path.of(dir, "firecracker"))) {
        kept.add(dir);
      }
    }
    return String.join(":", kept);
  }

  /** SIGTERM to the daemon; returns its exit code once it has exited. */
  int stopDaemon() throws InterruptedException {
    daemon.destroy(); // SIGTERM: the daemon's graceful shutdown
    if (!daemon.waitFor(DAEMON_STOP.toSeconds(), TimeUnit.SECONDS)) {
      throw new IllegalStateException(
          "hearth daemon (pid " + daemon.pid() + ") still runs " + DAEMON_STOP + " after SIGTERM");
    }
    return daemon.exitValue();
  }

  boolean daemonRunning() {
    return daemon != null && daemon.isAlive();
  }

  long daemonPid() {
    return daemon.pid();
  }

  /** Runs {@code bin/hearth --socket <ours> --no-color ARGS} and returns whatever it did. */
  CommandResult hearth(Duration timeout, String... args) throws InterruptedException {
    return runner.run(cli(timeout, args).build());
  }

  /** Like {@link #hearth} and fails unless it exits 0, with its output in the message. */
  CommandResult hearthOk(Duration timeout, String... args) throws InterruptedException {
    return expectOk(hearth(timeout, args));
  }

  /** {@code hearth --json ARGS}, parsed. */
  JsonNode hearthJson(Duration timeout, String... args) throws InterruptedException {
    List<String> argv = new ArrayList<>(List.of("--json"));
    argv.addAll(List.of(args));
    CommandResult result = hearthOk(timeout, argv.toArray(String[]::new));
    try {
      return JSON.readTree(result.stdout());
    } catch (IOException e) {
      throw new AssertionError("not JSON from " + describe(result), e);
    }
  }

  /** The VM as {@code hearth vm show --json} has it; remembers its id for the leak checks. */
  JsonNode vm(String name) throws InterruptedException {
    JsonNode vm = hearthJson(Duration.ofSeconds(30), "vm", "show", name);
    vmIds.add(vm.path("id").asText());
    return vm;
  }

  Set<String> vmIds() {
    return Set.copyOf(vmIds);
  }

  /**
   * Runs {@code bin/hearth --socket <ours> --no-color ARGS} with {@code stdin} as its standard
   * input (a pipe, not a terminal, so commands that forward stdin do).
   */
  CommandResult hearthWithInput(Duration timeout, String stdin, String... args)
      throws InterruptedException {
    return runner.run(cli(timeout, args).stdin(stdin).build());
  }

  /** {@code bin/hearth ARGS} on a pseudo-terminal of its own, through script(1). */
  CommandResult hearthOnTerminal(Duration timeout, String... args) throws InterruptedException {
    String line = ShellQuote.command(cli(timeout, args).build().argv());
    return runner.run(
        Command.builder("script")
            .args("-q", "-e", "-c", line, "/dev/null")
            .timeout(timeout)
            .build());
  }

  private Command.Builder cli(Duration timeout, String... args) {
    List<String> argv =
        new ArrayList<>(List.of("--socket", layout.socket().toString(), "--no-color"));
    argv.addAll(List.of(args));
    return Command.builder(hearth.toString()).args(argv).timeout(timeout);
  }

  /**
   * Stops the daemon with SIGTERM and starts a new one on the same config, as a service manager's
   * restart does; returns the old daemon's exit code. VMs keep running and are re-adopted.
   */
  int restartDaemon() throws Exception {
    int exit = stopDaemon();
    startDaemon();
    return exit;
  }

  static CommandResult expectOk(CommandResult result) {
    if (!result.ok()) {
      throw new AssertionError(describe(result));
    }
    return result;
  }

  static String describe(CommandResult result) {
    return Command.display(result.argv())
        + " exited "
        + result.exitCode()
        + " after "
        + result.elapsed().toMillis()
        + " ms\n--- stdout:\n"
        + result.stdout().strip()
        + "\n--- stderr:\n"
        + result.stderr().strip();
  }

  /**
   * The logs a failure report keeps: the daemon's, the kept copy of every console log, and the
   * other logs in the VMs' folders (e.g. firecracker.log).
   */
  Map<String, Path> logs() {
    Map<String, Path> logs = new LinkedHashMap<>();
    logs.put("daemon.log", daemonLog);
    logs.putAll(consoles.copies());
    if (Files.isDirectory(layout.vmsDir())) {
      try (Stream<Path> files = Files.walk(layout.vmsDir(), 2)) {
        files
            .filter(f -> f.getFileName().toString().endsWith(".log") && !f.endsWith("console.log"))
            .filter(Files::isRegularFile)
            .sorted()
            .forEach(f -> logs.put(f.getParent().getFileName() + "-" + f.getFileName(), f));
      } catch (IOException | UncheckedIOException e) {
        // a VM folder went while walked: its logs are gone already
      }
    }
    return logs;
  }

  /**
   * Undoes whatever a failed run left, in the order a user would: VMs deleted through the CLI, the
   * daemon stopped (SIGKILL if SIGTERM does not end it), then processes, devices and the daemon's
   * kept host network removed directly. Returns what could still be found on the host afterwards.
   */
  List<String> cleanUp() throws InterruptedException {
    List<String> problems = new ArrayList<>();
    if (daemonRunning()) {
      CommandResult list = hearth(Duration.ofSeconds(30), "--json", "vm", "list");
      if (list.ok()) {
        try {
          // --json vm list prints the array of VMs.
          for (JsonNode vm : JSON.readTree(list.stdout())) {
            vmIds.add(vm.path("id").asText());
            CommandResult deleted =
                hearth(Duration.ofMinutes(2), "vm", "delete", "--force", vm.path("name").asText());
            if (!deleted.ok()) {
              problems.add("cleanup: " + describe(deleted));
            }
          }
        } catch (IOException e) {
          problems.add("cleanup: vm list printed no JSON: " + list.stdout());
        }
      }
      try {
        stopDaemon();
      } catch (IllegalStateException e) {
        Await.exit(daemon.destroyForcibly(), DAEMON_STOP, "the SIGKILLed hearth daemon");
      }
    }
    leaks.removeDirectly(markers(), vmIds);
    problems.addAll(removeHostNetwork());
    problems.addAll(leaks.everything(vmIds));
    return problems;
  }

  /**
   * Removes the bridge and the NAT rules, which the daemon keeps on purpose when it stops (they are
   * host setup, made once when a VM first needs them); returns what failed.
   */
  List<String> removeHostNetwork() throws InterruptedException {
    List<String> problems = new ArrayList<>();
    try {
      new NatRules(runner, HostNetworkEnvironment.system(), bridge, bridgeCidr, networkTag)
          .remove();
    } catch (RuntimeException e) {
      problems.add("could not remove the NAT rules: " + e.getMessage());
    }
    try {
      new Bridge(runner, bridge, bridgeCidr).remove();
    } catch (RuntimeException e) {
      problems.add("could not remove bridge " + bridge + ": " + e.getMessage());
    }
    return problems;
  }

  /**
   * A test class's last steps, the VMs: deletes every VM the daemon lists (recording its id for the
   * leak checks) and checks that none left anything, then deletes the image.
   */
  void deleteAllVmsAndImage(String image) throws InterruptedException {
    for (JsonNode vm : hearthJson(Duration.ofSeconds(30), "vm", "list")) {
      String name = vm.path("name").asText();
      vm(name); // records its id for the leak check
      hearthOk(Duration.ofMinutes(3), "vm", "delete", "--force", name);
    }
    assertThat(leaks.vmLeftovers(vmIds())).as("left by the deleted VMs").isEmpty();
    hearthOk(Duration.ofMinutes(1), "image", "delete", image);
  }

  /**
   * A test class's last step, the host: the daemon ends on SIGTERM with 128 + SIGTERM (the JVM's
   * exit after a signal-started shutdown, ARCHITECTURE.md, Decisions), its kept host network is
   * removed, and nothing of the test is left on the host.
   */
  void stopDaemonAndCheckNothingIsLeft() throws InterruptedException {
    assertThat(stopDaemon()).as("the daemon's exit code after SIGTERM").isEqualTo(143);
    assertThat(removeHostNetwork()).isEmpty();
    assertThat(leaks.everything(vmIds())).as("left on the host").isEmpty();
  }

  /**
   * A test class's {@code @AfterAll}: {@link #cleanUp}, then {@link #close}; what was still left on
   * the host fails the class with a {@link FailureReport} that keeps the logs. Does nothing for a
   * host that was never prepared (null).
   */
  static void finish(E2eHost host, Class<?> test) throws InterruptedException {
    if (host == null) {
      return;
    }
    List<String> left = host.cleanUp();
    AssertionError report =
        left.isEmpty()
            ? null
            : new FailureReport(KeepLogsOnFailure.keptRoot())
                .report(
                    test.getSimpleName() + ".cleanUp",
                    new AssertionError("left on the host after cleanup: " + left),
                    host.logs());
    host.close();
    if (report != null) {
      throw new KeepLogsOnFailure.Reported(report);
    }
  }

  private List<String> markers() {
    List<String> markers = new ArrayList<>(vmIds);
    markers.add(work.toString());
    return markers;
  }

  /** Stops keeping console logs and deletes the work folder (images and disks included). */
  @Override
  public void close() throws InterruptedException {
    consoles.close();
    try {
      // Never into a mount a failed cleanup left under it (a VM's /dev bind, say).
      TreeDeleter.delete(work);
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete the e2e work folder " + work, e);
    }
  }

  private static String quote(String value) {
    return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
