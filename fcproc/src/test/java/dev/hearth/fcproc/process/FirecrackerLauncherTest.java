package dev.hearth.fcproc.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.fcproc.FirecrackerBinary;
import dev.hearth.fcproc.FirecrackerVersion;
import dev.hearth.fcproc.client.BootSource;
import dev.hearth.fcproc.client.InstanceState;
import dev.hearth.fcproc.testing.FakeFirecracker;
import dev.hearth.fcproc.testing.FakeFirecrackerScript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spawns real processes: the fake firecracker as the binary, through setsid and the sh capper. */
@RequiresBinary({"setsid", "mkfifo", "fold", "stdbuf"})
class FirecrackerLauncherTest {
  static final long CAP = 1 << 20;

  @TempDir Path dir;
  final ProcessTable procfs = ProcessTable.procfs();
  final List<FirecrackerProcess> spawned = new ArrayList<>();
  Path socket;
  Path console;
  Path kernel;

  @BeforeEach
  void paths() throws Exception {
    socket = dir.resolve("run/vm.sock");
    console = dir.resolve("vms/0123/console.log");
    kernel = Files.writeString(dir.resolve("vmlinux"), "kernel");
  }

  @AfterEach
  void killLeftovers() {
    spawned.forEach(FirecrackerProcess::killQuietly);
  }

  FirecrackerLauncher launcher(Path binary) {
    return new FirecrackerLauncher(binary, procfs, Posix.system(), Clock.system());
  }

  LaunchSpec spec(long cap, Duration socketTimeout) {
    return spec(cap, socketTimeout, CAP);
  }

  LaunchSpec spec(long cap, Duration socketTimeout, long vmmLogCap) {
    return new LaunchSpec(
        "vm-0123",
        socket,
        console,
        cap,
        socketTimeout,
        console.resolveSibling("firecracker.log"),
        console.resolveSibling("metrics.json"),
        vmmLogCap);
  }

  FirecrackerProcess spawn(Path binary, LaunchSpec spec) throws Exception {
    FirecrackerProcess vm = launcher(binary).spawn(spec);
    spawned.add(vm);
    return vm;
  }

  Path fake() {
    return FakeFirecrackerScript.write(dir.resolve("bin/firecracker"));
  }

  Path script(String name, String body) throws Exception {
    Path p = dir.resolve("bin/" + name);
    Files.createDirectories(p.getParent());
    Files.writeString(p, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  String consoleText() {
    return ConsoleLog.tail(console, (int) CAP);
  }

  static void eventually(String what, Await.Condition condition) throws Exception {
    Await.until(what, condition);
  }

  @Test
  void runsInItsOwnSessionBootsAndStopsGracefully() throws Exception {
    FirecrackerProcess vm = spawn(fake(), spec(CAP, Duration.ofSeconds(30)));

    int ownSession = procfs.stat((int) ProcessHandle.current().pid()).orElseThrow().sessionId();
    ProcessStat stat = procfs.stat(vm.identity().pid()).orElseThrow();
    assertThat(stat.sessionId()).isEqualTo(vm.identity().pid()).isNotEqualTo(ownSession);
    assertThat(vm.isAlive()).isTrue();

    vm.client()
        .putBootSource(new BootSource(kernel, Optional.of("console=ttyS0"), Optional.empty()));
    vm.client().instanceStart();
    eventually(
        "the boot line reaches the console log",
        () -> consoleText().contains(FakeFirecracker.BOOT_LINE));

    assertThat(vm.stop(Duration.ofSeconds(30))).as("stopped by SendCtrlAltDel").isTrue();
    assertThat(vm.isAlive()).isFalse();
    assertThat(vm.exitCode()).hasValue(0);
    assertThat(socket).doesNotExist();
    eventually(
        "the shutdown line reaches the console log",
        () -> consoleText().contains(FakeFirecracker.SHUTDOWN_LINE));
    assertThat(console.resolveSibling("console.log.fifo")).doesNotExist();
    eventually(
        "the console capper ends after firecracker",
        () -> !Files.exists(FirecrackerLauncher.capping(console)));
    // The VMM never opened its log or metrics pipe (no logger call): their cappers end with it.
    eventually(
        "nothing of the VM's session runs after firecracker ends",
        () -> procfs.liveInSession(vm.identity().pid()).isEmpty());
  }

  @Test
  void theVmmLogAndMetricsStayWithinTheirCapWithANoisyVmm() throws Exception {
    long cap = 8 * 1024;
    Path log = console.resolveSibling("firecracker.log");
    Path metrics = console.resolveSibling("metrics.json");
    // Writes to the pipes by path, as a VMM given them through its API does.
    Path noisy =
        script(
            "noisy-vmm",
            String.join(
                "\n",
                "i=0",
                "while [ $i -lt 2000 ]; do",
                "  echo \"log line $i of the VMM\"",
                "  i=$((i + 1))",
                "done >" + FirecrackerLauncher.pipe(log),
                "i=0",
                "while [ $i -lt 500 ]; do",
                "  echo \"{\\\"metrics\\\": $i, \\\"pad\\\": \\\"$(printf %0100d 0)\\\"}\"",
                "  i=$((i + 1))",
                "done >" + FirecrackerLauncher.pipe(metrics),
                "exec " + fake() + " \"$@\""));
    FirecrackerProcess vm = spawn(noisy, spec(CAP, Duration.ofSeconds(30), cap));
    eventually(
        "the cappers wrote the last lines",
        () ->
            CappedFiles.textNow(log).contains("log line 1999 of the VMM")
                && CappedFiles.textNow(metrics).contains("\"metrics\": 499,"));
    vm.kill();

    for (Path file : List.of(log, metrics)) {
      Path previous = ConsoleLog.previous(file);
      assertThat(previous).exists();
      assertThat(Files.size(file)).isLessThanOrEqualTo(cap / 2);
      assertThat(Files.size(previous)).isLessThanOrEqualTo(cap / 2);
      assertThat(Files.getPosixFilePermissions(file))
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }
    assertThat(Files.readString(ConsoleLog.previous(log)) + Files.readString(log))
        .doesNotContain("log line 0 of");
    // Whole lines: each metrics line is still one JSON object.
    assertThat(Files.readAllLines(metrics))
        .allSatisfy(line -> assertThat(line).startsWith("{\"metrics\": ").endsWith("\"}"));
  }

  @Test
  void killEndsEverythingOfTheVmsSessionWithTheConsoleCapper() throws Exception {
    // A VMM that leaves a child behind, as a launcher whose helper outlives it would.
    Path leaving = script("leaving-firecracker", "sleep 1000 &\nexec " + fake() + " \"$@\"");
    FirecrackerProcess vm = spawn(leaving, spec(CAP, Duration.ofSeconds(30)));
    int session = vm.identity().pid();
    assertThat(procfs.liveInSession(session))
        .as("the VMM, its child and the console capper in the VM's session")
        .hasSizeGreaterThan(2);

    vm.kill();

    assertThat(procfs.liveInSession(session)).as("what runs in the session after kill").isEmpty();
  }

  /**
   * A VMM spawned by a daemon that died before it recorded the process: found by its console log in
   * the script's command lines, killed with its whole session; another VM's VMM is left alone.
   */
  @Test
  void aStrayVmmIsKilledWithItsSessionAndAKeptOneIsNot() throws Exception {
    Path leaving = script("leaving-firecracker", "sleep 1000 &\nexec " + fake() + " \"$@\"");
    FirecrackerProcess stray = spawn(leaving, spec(CAP, Duration.ofSeconds(30)));
    Path keptConsole = dir.resolve("vms/4567/console.log");
    FirecrackerProcess kept =
        spawn(
            fake(),
            new LaunchSpec(
                "vm-4567",
                dir.resolve("run/kept.sock"),
                keptConsole,
                CAP,
                Duration.ofSeconds(30),
                keptConsole.resolveSibling("firecracker.log"),
                keptConsole.resolveSibling("metrics.json"),
                CAP));
    int session = stray.identity().pid();

    List<Path> killed =
        FirecrackerLauncher.killStrays(
            // Only this test's VMs: other daemons on the host (suites, benches) have their own.
            procfs,
            Posix.system(),
            Clock.system(),
            c -> c.startsWith(dir) && !c.equals(keptConsole));

    assertThat(killed).containsExactly(console);
    assertThat(procfs.liveInSession(session)).as("the stray VMM's session").isEmpty();
    assertThat(kept.isAlive()).as("the kept VMM").isTrue();
    assertThat(procfs.liveInSession(kept.identity().pid())).hasSizeGreaterThan(1);
    assertThat(FirecrackerLauncher.killStrays(procfs, Posix.system(), Clock.system(), c -> false))
        .isEmpty();
  }

  @Test
  void aGuestThatCannotTakeCtrlAltDelIsKilled() throws Exception {
    FirecrackerProcess vm = spawn(fake(), spec(CAP, Duration.ofSeconds(30)));
    // Not booted: the fake refuses SendCtrlAltDel, as Firecracker does.
    assertThat(vm.stop(Duration.ofSeconds(5))).isFalse();
    assertThat(vm.isAlive()).isFalse();
    assertThat(procfs.stat(vm.identity().pid()).filter(s -> !s.exited())).isEmpty();
    assertThat(socket).doesNotExist();
  }

  @Test
  void theConsoleLogStaysWithinItsCapWithANoisyGuest() throws Exception {
    long cap = 64 * 1024;
    Path noisy =
        FakeFirecrackerScript.write(
            dir.resolve("bin/noisy"), Map.of(FakeFirecracker.CONSOLE_NOISE_PROPERTY, "400000"));
    FirecrackerProcess vm = spawn(noisy, spec(cap, Duration.ofSeconds(30)));
    vm.client().putBootSource(new BootSource(kernel, Optional.empty(), Optional.empty()));
    vm.client().instanceStart();
    vm.stop(Duration.ofSeconds(30));
    eventually(
        "the capper drained the console",
        () -> consoleText().contains(FakeFirecracker.SHUTDOWN_LINE));

    Path previous = ConsoleLog.previous(console);
    assertThat(previous).exists();
    assertThat(Files.size(console)).isLessThanOrEqualTo(cap / 2);
    assertThat(Files.size(previous)).isLessThanOrEqualTo(cap / 2);
    assertThat(Files.getPosixFilePermissions(console))
        .isEqualTo(Files.getPosixFilePermissions(previous))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    String all = Files.readString(previous) + Files.readString(console);
    assertThat(all).doesNotContain(FakeFirecracker.BOOT_LINE).contains("noise 0000");
  }

  @Test
  void consoleOutputWithoutNewlinesReachesTheLogInBoundedLines() throws Exception {
    // 2 MiB without a newline before the fake starts, and the line stays open while it runs: sh's
    // `read` alone would hold the whole line in memory, and write nothing until a newline.
    long bytes = 2L << 20;
    Path fake = fake();
    Path endless =
        script("endless", "head -c " + bytes + " /dev/zero | tr '\\0' x\nexec " + fake + " \"$@\"");
    spawn(endless, spec(64L << 20, Duration.ofSeconds(30)));

    // fold keeps the last, still open, piece of the line until more comes.
    long expected = bytes - FirecrackerLauncher.LINE_BYTES;
    Await.until(
        "the console log holds " + expected + " of the bytes while the line is still open",
        () -> Files.readString(console).chars().filter(c -> c == 'x').count() >= expected);
    assertThat(Files.readString(console).split("\n"))
        .allSatisfy(
            line -> assertThat(line.length()).isLessThanOrEqualTo(FirecrackerLauncher.LINE_BYTES));
  }

  @Test
  void aStaleSocketIsRemovedAndALiveOneIsNot() throws Exception {
    Files.createDirectories(socket.getParent());
    Files.writeString(socket, "left over by a killed firecracker");
    FirecrackerProcess vm = spawn(fake(), spec(CAP, Duration.ofSeconds(30)));
    assertThat(vm.client().describeInstance().id()).isEqualTo("vm-0123");

    assertThatThrownBy(() -> spawn(fake(), spec(CAP, Duration.ofSeconds(30))))
        .isInstanceOf(FirecrackerStartException.class)
        .hasMessageContaining(socket + " is in use");
    assertThat(vm.client().isAccepting()).isTrue();
  }

  @Test
  void aBinaryThatNeverOpensTheSocketTimesOutAndIsKilled() throws Exception {
    Path pidFile = dir.resolve("sleeper.pid");
    Path sleeper =
        script("sleeper", "echo \"sleeper up\"; echo $$ > " + pidFile + "; exec sleep 600");
    // The sleeper must print its line before the socket wait ends: seconds on a loaded machine.
    assertThatThrownBy(() -> spawn(sleeper, spec(CAP, Duration.ofSeconds(5))))
        .isInstanceOf(FirecrackerStartException.class)
        .hasMessageContaining("the API socket " + socket)
        .hasMessageContaining("did not accept connections within 5000 ms")
        .hasMessageContaining("sleeper up");
    int pid = Integer.parseInt(Files.readString(pidFile).strip());
    eventually("the sleeper is gone", () -> procfs.stat(pid).filter(s -> !s.exited()).isEmpty());
  }

  @Test
  void aBinaryThatExitsAtOnceIsReportedWithItsConsole() {
    assertThatThrownBy(() -> spawn(Path.of("/bin/sleep"), spec(CAP, Duration.ofSeconds(30))))
        .isInstanceOf(FirecrackerStartException.class)
        .hasMessageContaining("exited with code 1")
        .hasMessageContaining(socket.toString())
        .hasMessageContaining("sleep: unrecognized option '--api-sock'");
    // The error waited for the capper, which wrote sleep's complaint and ended.
    assertThat(FirecrackerLauncher.capping(console)).doesNotExist();
  }

  @Test
  void aRunningVmIsAdoptedByIdentity() throws Exception {
    FirecrackerProcess vm = spawn(fake(), spec(CAP, Duration.ofSeconds(30)));
    FirecrackerProcess adopted = launcher(fake()).adopt(vm.identity(), socket);
    assertThat(adopted.isAlive()).isTrue();
    assertThat(adopted.exitCode()).isEmpty();
    assertThat(adopted.client().describeInstance().state()).isEqualTo(InstanceState.NOT_STARTED);

    adopted.kill();
    assertThat(vm.isAlive()).isFalse();
    assertThat(socket).doesNotExist();
    FirecrackerProcess reused =
        launcher(fake())
            .adopt(new ProcessIdentity(vm.identity().pid(), vm.identity().startTime() + 1), socket);
    assertThat(reused.isAlive()).isFalse();
  }

  @Test
  void theFakeActsAsABinary() throws Exception {
    Path fc = fake();
    assertThat(
            FirecrackerBinary.at(fc, new ProcessRunner(Posix.system(), Clock.system())).version())
        .isEqualTo(FirecrackerVersion.TESTED);

    Files.createDirectories(socket.getParent());
    Files.writeString(socket, "");
    Process p =
        new ProcessBuilder(fc.toString(), "--api-sock", socket.toString(), "--id", "x")
            .redirectErrorStream(true)
            .start();
    Await.Output o = Await.output(p, Await.DEFAULT, "the fake on a taken socket");
    assertThat(o.exitCode()).isEqualTo(1);
    assertThat(o.stdout()).contains("Failed to open the API socket at: " + socket);

    Process badId =
        new ProcessBuilder(
                fc.toString(), "--api-sock", dir.resolve("b.sock").toString(), "--id", "bad_id")
            .redirectErrorStream(true)
            .start();
    Await.Output bad = Await.output(badId, Await.DEFAULT, "the fake with a bad id");
    assertThat(bad.stdout()).contains("Invalid instance ID");
    assertThat(bad.exitCode()).isEqualTo(1);
  }
}
