package dev.hearth.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.fcproc.KvmStatus;
import dev.hearth.fcproc.QemuAccel;
import dev.hearth.fcproc.client.BootSource;
import dev.hearth.fcproc.client.LogLevel;
import dev.hearth.fcproc.client.LoggerConfig;
import dev.hearth.fcproc.client.MachineConfig;
import dev.hearth.fcproc.client.MetricsConfig;
import dev.hearth.fcproc.client.NetworkInterface;
import dev.hearth.fcproc.client.RateLimiter;
import dev.hearth.fcproc.server.FirecrackerBackendException;
import dev.hearth.fcproc.server.VmSetup;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The QEMU backend against a fake host: a fake process, and a fake QMP peer in QEMU's place. */
class QemuBackendTest {
  @TempDir Path dir;

  /** A QEMU that is alive until told to exit; its stderr is fed by the test. */
  static final class FakeQemu extends Process {
    final CountDownLatch done = new CountDownLatch(1);
    final PipedOutputStream stderrWriter = new PipedOutputStream();
    final PipedInputStream stderr;
    volatile int code;

    FakeQemu() throws IOException {
      stderr = new PipedInputStream(stderrWriter);
    }

    void exit(int exitCode) {
      code = exitCode;
      try {
        stderrWriter.close();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      done.countDown();
    }

    @Override
    public OutputStream getOutputStream() {
      return OutputStream.nullOutputStream();
    }

    @Override
    public InputStream getInputStream() {
      return new ByteArrayInputStream(new byte[0]);
    }

    @Override
    public InputStream getErrorStream() {
      return stderr;
    }

    @Override
    public int waitFor() throws InterruptedException {
      done.await();
      return code;
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
      return done.await(timeout, unit);
    }

    @Override
    public int exitValue() {
      if (done.getCount() > 0) {
        throw new IllegalThreadStateException("running");
      }
      return code;
    }

    @Override
    public void destroy() {
      exit(143);
    }

    @Override
    public Process destroyForcibly() {
      exit(137);
      return this;
    }

    @Override
    public long pid() {
      return 4242;
    }
  }

  /** Plays QEMU: connects to the QMP socket of the argv unless told to die first. */
  final class FakeHost implements QemuHost {
    KvmStatus kvm = new KvmStatus(KvmStatus.Kind.USABLE, "/dev/kvm opens for reading and writing");
    OptionalLong tsc = OptionalLong.of(2596146);
    final List<List<String>> started = new ArrayList<>();
    final FakeQmpPeer peer = new FakeQmpPeer(new ConcurrentHashMap<>());
    String dieWith;
    FakeQemu qemu;

    @Override
    public KvmStatus kvm() {
      return kvm;
    }

    @Override
    public OptionalLong tscKhz() {
      return tsc;
    }

    @Override
    public Process start(List<String> argv) throws IOException {
      started.add(argv);
      qemu = new FakeQemu();
      if (dieWith != null) {
        qemu.stderrWriter.write(dieWith.getBytes(StandardCharsets.UTF_8));
        qemu.exit(1);
        return qemu;
      }
      Path qmp =
          Path.of(QemuArgvTest.value(argv, "-chardev", 1).replace("socket,id=qmp,path=", ""));
      assertThat(Files.getPosixFilePermissions(qmp)).hasSize(2);
      peer.connectAndServe(qmp);
      return qemu;
    }
  }

  final FakeHost host = new FakeHost();
  final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

  QemuBackend backend(QemuAccel accel) {
    return new QemuBackend(
        Path.of("qemu-system-x86_64"),
        accel,
        dir.resolve("api.sock.qmp"),
        stderr,
        host,
        new FakeClock());
  }

  VmSetup setup() throws IOException {
    Path log = dir.resolve("fc.log");
    Path metrics = dir.resolve("metrics.json");
    if (!Files.exists(log)) {
      Files.createFile(log);
      Files.createFile(metrics);
    }
    return new VmSetup(
        "vm-1",
        new MachineConfig(1, 128),
        new BootSource(dir.resolve("vmlinux"), "console=ttyS0"),
        List.of(),
        List.of(),
        Optional.of(new LoggerConfig(log, LogLevel.INFO)),
        Optional.of(new MetricsConfig(metrics)));
  }

  /** As the server does: the logger first, then InstanceStart. */
  void start(QemuBackend b) throws Exception {
    VmSetup setup = setup();
    b.loggerConfigured(setup.logger().orElseThrow());
    b.instanceStart(setup);
  }

  @Test
  void aRateLimitedNetworkInterfaceIsRefusedNamingWhereTheLimitGoes() throws Exception {
    try (QemuBackend b = backend(QemuAccel.TCG)) {
      assertThat(b.refuses(new NetworkInterface("eth0", "htap1", "06:00:0a:4d:00:02"))).isEmpty();
      assertThat(
              b.refuses(
                  new NetworkInterface(
                      "eth0",
                      "htap1",
                      Optional.empty(),
                      Optional.empty(),
                      RateLimiter.perSecond(1000, 0))))
          .hasValueSatisfying(
              m ->
                  assertThat(m).contains("eth0").contains("no network throttling").contains("TAP"));
    }
  }

  @Test
  void autoPicksKvmWhenUsableAndTcgWithTheTscRateOtherwise() throws Exception {
    try (QemuBackend b = backend(QemuAccel.AUTO)) {
      start(b);
      assertThat(QemuArgvTest.value(host.started.get(0), "-accel", 0)).isEqualTo("kvm");
      assertThat(b.accelInUse()).hasValue(QemuAccel.KVM);
    }
    host.kvm = new KvmStatus(KvmStatus.Kind.PVM, "/dev/kvm is PVM's");
    try (QemuBackend b = backend(QemuAccel.AUTO)) {
      start(b);
      assertThat(QemuArgvTest.value(host.started.get(1), "-accel", 0)).isEqualTo("tcg");
      assertThat(QemuArgvTest.value(host.started.get(1), "-append", 0))
          .endsWith("tsc_early_khz=2596146");
    }
  }

  @Test
  void tcgCanBeForcedOnAKvmHostAndKvmCannotBeForcedWithoutIt() throws Exception {
    try (QemuBackend b = backend(QemuAccel.TCG)) {
      start(b);
      assertThat(QemuArgvTest.value(host.started.get(0), "-accel", 0)).isEqualTo("tcg");
    }
    host.kvm = new KvmStatus(KvmStatus.Kind.MISSING, "there is no /dev/kvm");
    try (QemuBackend b = backend(QemuAccel.KVM)) {
      assertThatThrownBy(() -> start(b))
          .isInstanceOf(FirecrackerBackendException.class)
          .hasMessageContaining("told to use KVM, but there is no /dev/kvm");
      assertThat(host.started).hasSize(1);
    }
  }

  @Test
  void startsWaitsForQmpAndTheRunningGuestThenRemovesTheQmpSocket() throws Exception {
    try (QemuBackend b = backend(QemuAccel.AUTO)) {
      start(b);

      assertThat(host.peer.commands).containsExactly("qmp_capabilities", "query-status");
      assertThat(dir.resolve("api.sock.qmp")).doesNotExist();
      assertThat(Files.readString(dir.resolve("fc.log")))
          .contains("[vm-1:")
          .contains(QemuBackend.NAME + ": starting qemu-system-x86_64 -name hearth-vm-1")
          .contains("QEMU pid 4242 runs the guest (kvm)");
      assertThat(Files.readString(dir.resolve("metrics.json")))
          .contains("\"accel\":\"kvm\"")
          .contains("\"qemu_pid\":4242");
    }
  }

  @Test
  void ctrlAltDelPausAndResumeAreQmpCommands() throws Exception {
    try (QemuBackend b = backend(QemuAccel.AUTO)) {
      start(b);
      b.pause();
      b.resume();
      b.sendCtrlAltDel().run();

      assertThat(host.peer.commands)
          .containsExactly(
              "qmp_capabilities", "query-status", "stop", "cont", "send-key ctrl alt delete");
    }
  }

  @Test
  void theExitOfQemuIsReportedWithItsCodeAndStderr() throws Exception {
    QemuBackend b = backend(QemuAccel.AUTO);
    start(b);
    host.qemu.stderrWriter.write("qemu: guest went wrong\n".getBytes(StandardCharsets.UTF_8));
    host.qemu.exit(1);

    QemuExit exit = Await.call("the backend to see QEMU's exit", b::awaitExit);

    assertThat(exit.clean()).isFalse();
    assertThat(exit.detail())
        .isEqualTo(
            "qemu-system-x86_64 exited with code 1; its stderr ends with: qemu: guest went wrong");
    assertThat(stderr.toString(StandardCharsets.UTF_8)).isEqualTo("qemu: guest went wrong\n");
    assertThatThrownBy(b::sendCtrlAltDel)
        .isInstanceOf(FirecrackerBackendException.class)
        .hasMessageContaining("not running");
    b.close();
  }

  @Test
  void aCleanPoweroffIsExitCodeZero() throws Exception {
    QemuBackend b = backend(QemuAccel.AUTO);
    start(b);
    host.qemu.exit(0);

    assertThat(Await.call("the backend to see QEMU's exit", b::awaitExit).clean()).isTrue();
    assertThat(Files.readString(dir.resolve("fc.log"))).contains("the guest powered off");
    b.close();
  }

  @Test
  void aQemuThatDiesOnStartIsAFaultQuotingItsStderr() throws Exception {
    host.dieWith = "qemu-system-x86_64: could not load kernel '/x/vmlinux'\n";
    try (QemuBackend b = backend(QemuAccel.AUTO)) {
      assertThatThrownBy(() -> start(b))
          .isInstanceOf(FirecrackerBackendException.class)
          .hasMessageContaining("exited with code 1 before it connected to QMP")
          .hasMessageContaining("could not load kernel '/x/vmlinux'");
      assertThat(dir.resolve("api.sock.qmp")).doesNotExist();
    }
  }

  @Test
  void aGuestThatNeverRanIsAFault() throws Exception {
    host.peer.answers.put("query-status", "{\"return\": {\"status\": \"internal-error\"}}");
    try (QemuBackend b = backend(QemuAccel.AUTO)) {
      assertThatThrownBy(() -> start(b))
          .isInstanceOf(FirecrackerBackendException.class)
          .hasMessageContaining("its guest did not run (state 'internal-error')");
      assertThat(host.qemu.exitValue()).as("QEMU is killed").isEqualTo(137);
    }
  }

  @Test
  void closeKillsARunningQemu() throws Exception {
    QemuBackend b = backend(QemuAccel.AUTO);
    start(b);
    b.close();

    assertThat(host.qemu.exitValue()).isEqualTo(137);
    assertThat(Await.call("the backend to see QEMU's exit", b::awaitExit).detail())
        .contains("killed by signal 9");
  }

  @Test
  void operationsQemuCannotHonourAreRefusedNamingTheLauncher() {
    assertThat(backend(QemuAccel.AUTO).unsupported("PUT /snapshot/create"))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .startsWith("hearth-qemu-firecracker does not support PUT /snapshot/create"));
  }
}
