package dev.hearth.fcproc.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.fcproc.client.BootSource;
import dev.hearth.fcproc.client.Drive;
import dev.hearth.fcproc.client.LogLevel;
import dev.hearth.fcproc.client.LoggerConfig;
import dev.hearth.fcproc.client.MetricsConfig;
import dev.hearth.fcproc.testing.FakeFirecracker;
import dev.hearth.fcproc.testing.FakeFirecrackerScript;
import dev.hearth.fcproc.testing.FakeJailer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher with a jailer: the stand-in jailer ({@link FakeJailer}) checks the command line and
 * the jail, then becomes the fake firecracker in place, as the jailer execs firecracker.
 */
@RequiresBinary({"setsid", "mkfifo", "fold", "stdbuf"})
class JailerLauncherTest {
  @TempDir Path dir;
  final Posix posix = Posix.system();
  final ProcessTable procfs = ProcessTable.procfs();

  @Test
  void firecrackerRunsInItsJailWithThePidTheLauncherStarted() throws Exception {
    Path records = Files.createDirectories(dir.resolve("records"));
    Path jailerBin =
        FakeJailer.script(
            dir.resolve("bin/jailer"), Map.of(FakeJailer.RECORD_PROPERTY, records.toString()));
    Path firecracker = FakeFirecrackerScript.write(dir.resolve("bin/firecracker"));
    Path kernel = Files.writeString(dir.resolve("vmlinux"), "kernel");
    Path disk = Files.writeString(dir.resolve("rootfs.ext4"), "disk");
    Path console = dir.resolve("vms/vm-9/console.log");
    Jailer jailer = jailer();

    JailedVm jail = jailer.prepare(jailerBin, firecracker, "vm-9", Jailer.limits(1, 128));
    Path jailedKernel = jail.share("vmlinux", kernel);
    Path jailedDisk = jail.give("rootfs", disk);
    FirecrackerProcess vm =
        new FirecrackerLauncher(firecracker, procfs, posix, Clock.system())
            .spawn(
                new LaunchSpec(
                    "vm-9",
                    jail.chroot().apiSocket(),
                    console,
                    1 << 20,
                    Duration.ofSeconds(30),
                    console.resolveSibling("firecracker.log"),
                    console.resolveSibling("metrics.json"),
                    1 << 20,
                    Optional.of(jail.command())));
    try {
      assertThat(vm.apiSocket())
          .isEqualTo(dir.resolve("jailer/firecracker/vm-9/root/run/firecracker.socket"));
      assertThat(procfs.stat(vm.identity().pid()).orElseThrow().sessionId())
          .as("the jailer became firecracker in place: the session leader the launcher started")
          .isEqualTo(vm.identity().pid());
      assertThat(Files.readAllLines(records.resolve("vm-9.argv")))
          .isEqualTo(jail.command().argv().subList(1, jail.command().argv().size()));
      vm.client()
          .putBootSource(
              new BootSource(jailedKernel, Optional.of("console=ttyS0"), Optional.empty()));
      vm.client().putDrive(new Drive("rootfs", jailedDisk, true, false));
      vm.client().instanceStart();
      Await.until(
          "the boot line reaches the console log",
          () -> ConsoleLog.tail(console, 1 << 20).contains(FakeFirecracker.BOOT_LINE));
      assertThat(jail.chroot().root().resolve("firecracker"))
          .as("the jailer's copy of the exec file")
          .exists();
    } finally {
      vm.killQuietly();
    }
    assertThat(vm.isAlive()).isFalse();
    jailer.remove("vm-9", List.of(disk));
    assertThat(dir.resolve("jailer/firecracker/vm-9")).doesNotExist();
    assertThat(disk).hasContent("disk");
  }

  /**
   * The jailer closes every descriptor but 0 to 2, so a jailed VMM holds no write end of its log
   * pipes from the start: the pipes are made in the jail, a watcher holds them open while the VMM
   * lives, and the cappers keep the host's files within their cap and end after the VMM.
   */
  @Test
  void aJailedVmmsLogAndMetricsStayWithinTheirCapAndTheirCappersEndWithIt() throws Exception {
    long cap = 8 * 1024;
    Path jailerBin =
        FakeJailer.script(
            dir.resolve("bin/jailer"), Map.of(FakeFirecracker.VMM_LOG_LINES_PROPERTY, "2000"));
    Path firecracker = FakeFirecrackerScript.write(dir.resolve("bin/firecracker"));
    Path console = dir.resolve("vms/vm-8/console.log");
    Path log = console.resolveSibling("firecracker.log");
    Path metrics = console.resolveSibling("metrics.json");
    Jailer jailer = jailer();
    JailedVm jail = jailer.prepare(jailerBin, firecracker, "vm-8", Jailer.limits(1, 128));
    Path jailedKernel = jail.share("vmlinux", Files.writeString(dir.resolve("vmlinux"), "kernel"));
    LaunchSpec spec =
        new LaunchSpec(
            "vm-8",
            jail.chroot().apiSocket(),
            console,
            1 << 20,
            Duration.ofSeconds(30),
            log,
            metrics,
            cap,
            Optional.of(jail.command()));
    assertThat(spec.vmmLogTarget()).isEqualTo(Path.of("/firecracker.log.fifo"));
    assertThat(spec.metricsPipe()).isEqualTo(jail.chroot().outside(spec.metricsTarget()));
    FirecrackerProcess vm =
        new FirecrackerLauncher(firecracker, procfs, posix, Clock.system()).spawn(spec);
    int session = vm.identity().pid();
    try {
      vm.client().putLogger(new LoggerConfig(spec.vmmLogTarget(), LogLevel.INFO));
      vm.client().putMetrics(new MetricsConfig(spec.metricsTarget()));
      Await.until(
          "the cappers wrote the jailed VMM's last log and metrics lines",
          () ->
              CappedFiles.textNow(log).contains("log line 1999")
                  && CappedFiles.textNow(metrics).contains("\"utc_timestamp_ms\": 1999,"));
      for (Path file : List.of(log, metrics)) {
        assertThat(Files.size(file)).isLessThanOrEqualTo(cap / 2);
        assertThat(Files.size(ConsoleLog.previous(file))).isLessThanOrEqualTo(cap / 2);
      }
      vm.client()
          .putBootSource(
              new BootSource(jailedKernel, Optional.of("console=ttyS0"), Optional.empty()));
      vm.client().instanceStart();
      assertThat(vm.stop(Duration.ofSeconds(30))).as("stopped by SendCtrlAltDel").isTrue();
    } finally {
      vm.killQuietly();
    }
    Await.until(
        "the cappers and their watcher end after the jailed VMM",
        () -> procfs.liveInSession(session).isEmpty());
    jailer.remove("vm-8", List.of());
  }

  /** Jails under {@code dir/jailer} for the test's user, with a runner that runs nothing. */
  private Jailer jailer() {
    return new Jailer(
        dir.resolve("jailer"),
        "hearth-vm",
        JailerTest.testUser(posix),
        new FakeRunner(),
        posix.geteuid(),
        posix.getgid());
  }
}
