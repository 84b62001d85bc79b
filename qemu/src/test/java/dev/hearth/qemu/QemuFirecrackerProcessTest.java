package dev.hearth.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.fcproc.FirecrackerVersion;
import dev.hearth.fcproc.client.BootSource;
import dev.hearth.fcproc.client.Drive;
import dev.hearth.fcproc.client.FirecrackerClient;
import dev.hearth.fcproc.client.InstanceState;
import dev.hearth.fcproc.client.LogLevel;
import dev.hearth.fcproc.client.LoggerConfig;
import dev.hearth.fcproc.client.MachineConfig;
import dev.hearth.fcproc.client.MetricsConfig;
import dev.hearth.fcproc.testing.TinyGuestKernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher as hearth runs it: a process of its own, configured over its API socket, booting
 * {@link TinyGuestKernel} under QEMU with TCG (as in CI). Its stdout is the console log.
 */
@RequiresBinary({"qemu-system-x86_64", "setpriv"})
class QemuFirecrackerProcessTest {
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  Path socket;
  Path console;
  Path stderr;
  final List<Process> launched = new ArrayList<>();

  @AfterEach
  void killLeftovers() throws Exception {
    for (Process p : launched) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  Process launch(String... args) throws IOException {
    socket = dir.resolve("vm.sock");
    console = dir.resolve("console.log");
    stderr = dir.resolve("stderr.log");
    List<String> argv = new ArrayList<>();
    argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    argv.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m"));
    argv.addAll(List.of("-cp", System.getProperty("java.class.path")));
    argv.add(QemuFirecracker.class.getName());
    argv.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(argv)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectOutput(console.toFile())
            .redirectError(stderr.toFile());
    pb.environment().put(LauncherArgs.ACCEL_ENV, "tcg");
    Process p = pb.start();
    launched.add(p);
    return p;
  }

  Process boot(TinyGuestKernel.Ending ending) throws Exception {
    Process launcher = launch("--api-sock", dir.resolve("vm.sock").toString(), "--id", "tiny-7");
    FirecrackerClient client = new FirecrackerClient(socket, Duration.ofSeconds(30));
    await("the API socket accepts", () -> launcher.isAlive() && client.isAccepting());
    Path log = Files.createFile(dir.resolve("fc.log"));
    Path metrics = Files.createFile(dir.resolve("metrics.json"));
    Path root = Files.write(dir.resolve("root.img"), new byte[1 << 20]);
    Path kernel = TinyGuestKernel.write(dir.resolve("vmlinux"), ending);
    client.putLogger(new LoggerConfig(log, LogLevel.INFO));
    client.putMetrics(new MetricsConfig(metrics));
    client.putMachineConfig(new MachineConfig(1, 64));
    client.putBootSource(new BootSource(kernel, Optional.of("console=ttyS0"), Optional.empty()));
    client.putDrive(new Drive("rootfs", root, true, false));
    client.instanceStart();
    return launcher;
  }

  static void await(String what, Await.Condition condition) throws Exception {
    Await.until(WAIT, what, condition);
  }

  String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "";
    }
  }

  ProcessHandle qemuOf(Process launcher) {
    return launcher
        .toHandle()
        .children()
        .filter(c -> c.info().command().orElse("").contains("qemu-system"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no QEMU child of the launcher"));
  }

  @Test
  void theConsoleIsTheLaunchersStdoutAndSigkillOfTheLauncherEndsQemu() throws Exception {
    Process launcher = boot(TinyGuestKernel.Ending.HALT);
    FirecrackerClient client = new FirecrackerClient(socket);

    await(
        "the guest's line is in the console log",
        () -> read(console).contains(TinyGuestKernel.UP_LINE));
    // Every request so far ran on a connection thread that has ended: QEMU must live on.
    ProcessHandle qemu = qemuOf(launcher);
    assertThat(qemu.isAlive()).isTrue();
    assertThat(client.describeInstance().state()).isEqualTo(InstanceState.RUNNING);

    launcher.destroyForcibly(); // SIGKILL

    Await.exit(launcher, WAIT, "the SIGKILLed launcher");
    Await.result(qemu.onExit(), WAIT, "QEMU to end with its launcher");
    assertThat(qemu.isAlive()).isFalse();
    assertThat(dir.resolve("vm.sock.qmp")).doesNotExist();
  }

  @Test
  void aGuestRebootEndsTheLauncherWithCodeZeroAndNoSocket() throws Exception {
    Process launcher = boot(TinyGuestKernel.Ending.RESET);

    Await.exit(launcher, WAIT, "the launcher to end at the guest's reset");

    assertThat(launcher.exitValue()).as(read(stderr)).isZero();
    assertThat(socket).doesNotExist();
    assertThat(dir.resolve("vm.sock.qmp")).doesNotExist();
    assertThat(read(console)).contains(TinyGuestKernel.UP_LINE);
    assertThat(read(dir.resolve("fc.log")))
        .contains("hearth-qemu-firecracker: starting qemu-system-x86_64")
        .contains("exited with code 0");
  }

  @Test
  void aQemuKilledFromOutsideEndsTheLauncherWithCode1AndTheReason() throws Exception {
    Process launcher = boot(TinyGuestKernel.Ending.HALT);
    await(
        "the guest's line is in the console log",
        () -> read(console).contains(TinyGuestKernel.UP_LINE));

    qemuOf(launcher).destroyForcibly();

    Await.exit(launcher, WAIT, "the launcher to end with its killed QEMU");
    assertThat(launcher.exitValue()).isEqualTo(1);
    assertThat(read(stderr)).contains("exited with code 137 (killed by signal 9)");
    assertThat(socket).doesNotExist();
  }

  @Test
  void versionPrintsALineFirecrackerBinaryParses() throws Exception {
    Process launcher = launch("--version");
    Await.exit(launcher, WAIT, "the launcher's --version");

    String out = read(console);
    assertThat(launcher.exitValue()).isZero();
    assertThat(FirecrackerVersion.parse(out)).hasValue(new FirecrackerVersion(1, 16, 1));
    assertThat(out)
        .matches("Firecracker v1\\.16\\.1 \\(hearth-qemu-firecracker, QEMU \\d+\\.\\d+\\S*\\)\\n");
  }

  @Test
  void anUnknownFlagIsRefusedAsFirecrackerDoes() throws Exception {
    Process launcher =
        launch("--api-sock", dir.resolve("x.sock").toString(), "--seccomp-level", "2");
    Await.exit(launcher, WAIT, "the launcher with an unknown flag");

    assertThat(launcher.exitValue()).isEqualTo(1);
    assertThat(read(stderr))
        .startsWith("Arguments parsing error: Found argument '--seccomp-level'");
    assertThat(dir.resolve("x.sock")).doesNotExist();
  }
}
