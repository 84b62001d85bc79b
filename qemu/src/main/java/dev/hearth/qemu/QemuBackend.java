package dev.hearth.qemu;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.annotations.VisibleForTesting;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.fcproc.KvmStatus;
import dev.hearth.fcproc.QemuAccel;
import dev.hearth.fcproc.VmmSelector;
import dev.hearth.fcproc.client.LoggerConfig;
import dev.hearth.fcproc.client.MetricsConfig;
import dev.hearth.fcproc.client.NetworkInterface;
import dev.hearth.fcproc.server.FirecrackerApiServer;
import dev.hearth.fcproc.server.FirecrackerBackend;
import dev.hearth.fcproc.server.FirecrackerBackendException;
import dev.hearth.fcproc.server.VmSetup;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * Runs the guest of a {@link FirecrackerApiServer} under {@code qemu-system-x86_64} (see {@link
 * QemuArgv} for the machine): hearth's way to run real guests on hosts without KVM, and to rehearse
 * that on hosts with it ({@link QemuAccel#TCG}).
 *
 * <p>On InstanceStart it binds a QMP socket next to the API socket, starts QEMU (which dies with
 * this process: see {@link LinuxQemuHost}), takes QEMU's QMP connection and removes the socket file
 * again (so that nothing is left even after a SIGKILL), and answers once QMP says the guest runs;
 * QEMU's stderr is copied to the given stream and its end quoted in failures. SendCtrlAltDel is
 * Ctrl+Alt+Del on the guest's i8042 keyboard, as with Firecracker; pause and resume are {@code
 * stop} and {@code cont}. Operations QEMU cannot honour (snapshots, balloon, vsock, hotplug, ...)
 * are refused naming {@value #NAME}. The logger's file gets this backend's own lines.
 */
public final class QemuBackend implements FirecrackerBackend, Closeable {
  /** The launcher's name, in answers and log lines. */
  public static final String NAME = VmmSelector.LAUNCHER;

  static final Duration QMP_CONNECT_TIMEOUT = Duration.ofSeconds(30);
  static final int QMP_ANSWER_TIMEOUT_MILLIS = 30_000;
  static final Duration KILL_WAIT = Duration.ofSeconds(10);
  private static final Set<String> FAILED_STATES =
      Set.of("prelaunch", "internal-error", "io-error");
  private static final Duration ACCEPT_POLL = Duration.ofMillis(100);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path qemuBinary;
  private final QemuAccel accel;
  private final Path qmpSocket;
  private final QemuStderr stderr;
  private final QemuHost host;
  private final Clock clock;
  private final CountDownLatch exited = new CountDownLatch(1);

  // Guarded by this.
  private Writer logWriter;
  private String instanceId = "anonymous-instance";
  private Process process;
  private QmpClient qmp;
  private QemuAccel resolvedAccel;
  private boolean closed;

  private volatile QemuExit exit;

  /**
   * A backend on this host.
   *
   * @param qemuBinary {@code qemu-system-x86_64}, by path or name on PATH
   * @param qmpSocket where QEMU connects for QMP (removed once it has)
   * @param stderrCopy where QEMU's stderr goes on (the launcher's stderr)
   */
  public QemuBackend(Path qemuBinary, QemuAccel accel, Path qmpSocket, OutputStream stderrCopy) {
    this(qemuBinary, accel, qmpSocket, stderrCopy, new LinuxQemuHost(), Clock.system());
  }

  QemuBackend(
      Path qemuBinary,
      QemuAccel accel,
      Path qmpSocket,
      OutputStream stderrCopy,
      QemuHost host,
      Clock clock) {
    this.qemuBinary = requireNonNull(qemuBinary, "qemuBinary");
    this.accel = requireNonNull(accel, "accel");
    this.qmpSocket = requireNonNull(qmpSocket, "qmpSocket");
    this.stderr = new QemuStderr(requireNonNull(stderrCopy, "stderrCopy"));
    this.host = requireNonNull(host, "host");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public Optional<String> unsupported(String operation) {
    return Optional.of(
        NAME
            + " does not support "
            + operation
            + ": it runs the guest under QEMU, which offers only boot, shutdown, pause and resume"
            + " of Firecracker's API.");
  }

  @Override
  public Optional<String> refuses(NetworkInterface nic) {
    if (!nic.limited()) {
      return Optional.empty();
    }
    return Optional.of(
        NAME
            + " cannot limit the rate of network interface "
            + nic.ifaceId()
            + ": QEMU has no network throttling (hearth limits a QEMU guest's TAP on the host).");
  }

  @Override
  public synchronized void loggerConfigured(LoggerConfig logger) {
    try {
      Writer w = Files.newBufferedWriter(logger.logPath(), StandardOpenOption.APPEND);
      if (logWriter != null) {
        logWriter.close();
      }
      logWriter = w;
    } catch (IOException e) {
      throw new FirecrackerBackendException(
          "Failed to open target file " + logger.logPath() + ": " + e.getMessage(), e);
    }
    log("logging to " + logger.logPath());
  }

  @Override
  public synchronized void instanceStart(VmSetup setup) throws InterruptedException {
    if (closed) {
      throw new FirecrackerBackendException(NAME + " is shutting down.");
    }
    instanceId = setup.instanceId();
    resolvedAccel = resolveAccel();
    OptionalLong tsc = resolvedAccel == QemuAccel.TCG ? host.tscKhz() : OptionalLong.empty();
    List<String> argv = QemuArgv.build(qemuBinary, setup, resolvedAccel, tsc, qmpSocket);
    log("starting " + Command.display(argv));
    Process started = null;
    boolean running = false;
    try (AFUNIXServerSocket qmpServer = bindQmp()) {
      try {
        started = host.start(argv);
      } catch (IOException e) {
        throw new FirecrackerBackendException(
            NAME + " cannot start " + qemuBinary + ": " + e.getMessage(), e);
      }
      Thread pump = stderr.pump(started.getErrorStream());
      try {
        Socket connection = acceptQmp(qmpServer, started, pump);
        deleteQmpSocket();
        qmp = new QmpClient(connection, QMP_ANSWER_TIMEOUT_MILLIS);
        // A guest may already have gone down again ("shutdown"): it did start.
        String status = qmp.execute("query-status").path("status").asText();
        if (FAILED_STATES.contains(status)) {
          throw new FirecrackerBackendException(
              NAME + ": QEMU started but its guest did not run (state '" + status + "')");
        }
      } catch (IOException e) {
        // QMP ends with QEMU: a guest that powered off or rebooted at once did start.
        if (!(started.waitFor(2, TimeUnit.SECONDS) && started.exitValue() == 0)) {
          throw failure(started, pump, "while starting the guest (" + e.getMessage() + ")");
        }
      }
      process = started;
      running = true;
      startWaiter(started, pump);
      writeMetrics(setup.metrics());
      log(
          "QEMU pid "
              + started.pid()
              + " runs the guest ("
              + resolvedAccel.qemuName()
              + (tsc.isPresent() ? ", tsc_early_khz=" + tsc.getAsLong() : "")
              + ")");
    } catch (IOException e) {
      throw new FirecrackerBackendException(
          NAME + " cannot listen for QMP on " + qmpSocket + ": " + e.getMessage(), e);
    } finally {
      deleteQmpSocketQuietly();
      if (!running && started != null) {
        killAndWait(started);
      }
    }
  }

  /**
   * Presses Ctrl+Alt+Del on the guest's i8042 keyboard, as Firecracker does: the kernel hands it to
   * init (systemd: ctrl-alt-del.target, a reboot), and with {@code reboot=k} and QEMU's {@code
   * -no-reboot} the reboot ends QEMU. (The ACPI power button, QMP {@code system_powerdown}, needs
   * logind or acpid in the guest; hearth's images have neither.)
   */
  @Override
  public synchronized Runnable sendCtrlAltDel() {
    ObjectNode keys = JSON.createObjectNode();
    ArrayNode list = keys.putArray("keys");
    for (String key : List.of("ctrl", "alt", "delete")) {
      list.addObject().put("type", "qcode").put("data", key);
    }
    qmpCommand("send-key", keys);
    log("pressed Ctrl+Alt+Del on the guest's keyboard (SendCtrlAltDel)");
    return () -> {};
  }

  @Override
  public synchronized void pause() {
    qmpCommand("stop");
  }

  @Override
  public synchronized void resume() {
    qmpCommand("cont");
  }

  @Override
  public synchronized void flushMetrics(MetricsConfig metrics) {
    writeMetrics(Optional.of(metrics));
  }

  /**
   * Waits for the QEMU that InstanceStart started to exit (forever when none was started).
   *
   * @return how it ended
   */
  public QemuExit awaitExit() throws InterruptedException {
    exited.await();
    return exit;
  }

  /** Kills QEMU if it still runs, and removes the QMP socket. */
  @Override
  public void close() {
    Process p;
    synchronized (this) {
      closed = true;
      p = process;
    }
    if (p != null && p.isAlive()) {
      killAndWait(p);
    }
    deleteQmpSocketQuietly();
  }

  private QemuAccel resolveAccel() {
    KvmStatus kvm = host.kvm();
    return switch (accel) {
      case AUTO -> kvm.usable() ? QemuAccel.KVM : QemuAccel.TCG;
      case TCG -> QemuAccel.TCG;
      case KVM -> {
        if (!kvm.usable()) {
          throw new FirecrackerBackendException(
              NAME + " was told to use KVM, but " + kvm.detail() + ".");
        }
        yield QemuAccel.KVM;
      }
    };
  }

  private AFUNIXServerSocket bindQmp() throws IOException {
    Files.createDirectories(qmpSocket.toAbsolutePath().getParent());
    Files.deleteIfExists(qmpSocket);
    AFUNIXServerSocket server = AFUNIXServerSocket.newInstance();
    server.bind(AFUNIXSocketAddress.of(qmpSocket));
    // QMP controls the VM: only this user may connect in the moment before QEMU does.
    Files.setPosixFilePermissions(qmpSocket, PosixFilePermissions.fromString("rw-------"));
    server.setSoTimeout((int) ACCEPT_POLL.toMillis());
    return server;
  }

  private Socket acceptQmp(AFUNIXServerSocket server, Process started, Thread pump)
      throws IOException, InterruptedException {
    long deadline = clock.nanoTime() + QMP_CONNECT_TIMEOUT.toNanos();
    while (true) {
      try {
        return server.accept();
      } catch (SocketTimeoutException e) {
        if (!started.isAlive()) {
          throw failure(started, pump, "before it connected to QMP");
        }
        if (clock.nanoTime() - deadline >= 0) {
          throw failure(
              started,
              pump,
              "did not connect to QMP on "
                  + qmpSocket
                  + " within "
                  + QMP_CONNECT_TIMEOUT.toSeconds()
                  + " s");
        }
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
    }
  }

  private void startWaiter(Process started, Thread pump) {
    Thread t =
        new Thread(
            () -> {
              try {
                int code = started.waitFor();
                pump.join(TimeUnit.SECONDS.toMillis(5));
                exit = new QemuExit(code, describeExit(code));
                synchronized (this) {
                  log(exit.detail());
                  closeQuietly();
                }
                exited.countDown();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "qemu-waiter");
    t.setDaemon(true);
    t.start();
  }

  private String describeExit(int code) {
    if (code == 0) {
      return qemuBinary + " exited with code 0: the guest powered off or rebooted";
    }
    String why = code > 128 ? " (killed by signal " + (code - 128) + ")" : "";
    return qemuBinary + " exited with code " + code + why + stderr.suffix();
  }

  private FirecrackerBackendException failure(Process started, Thread pump, String when)
      throws InterruptedException {
    String state;
    if (started.waitFor(KILL_WAIT.toMillis() / 2, TimeUnit.MILLISECONDS)) {
      pump.join(TimeUnit.SECONDS.toMillis(2));
      state = "exited with code " + started.exitValue();
    } else {
      state = "failed";
    }
    String message = NAME + ": " + qemuBinary + " " + state + " " + when + stderr.suffix();
    log(message);
    return new FirecrackerBackendException(message);
  }

  /** The answer of a QMP query of the running QEMU, e.g. {@code query-block}. */
  @VisibleForTesting
  synchronized JsonNode query(String command) throws IOException {
    if (qmp == null) {
      throw new IllegalStateException("QEMU is not running");
    }
    return qmp.execute(command);
  }

  private void qmpCommand(String command) {
    qmpCommand(command, null);
  }

  private void qmpCommand(String command, ObjectNode arguments) {
    if (qmp == null || process == null || !process.isAlive()) {
      throw new FirecrackerBackendException(
          NAME + ": the guest is not running (QEMU has exited), cannot send " + command + ".");
    }
    try {
      qmp.execute(command, arguments);
    } catch (IOException e) {
      throw new FirecrackerBackendException(NAME + ": " + e.getMessage(), e);
    }
  }

  private void writeMetrics(Optional<MetricsConfig> metrics) {
    if (metrics.isEmpty()) {
      return;
    }
    ObjectNode line = JSON.createObjectNode();
    line.put("utc_timestamp_ms", clock.now().toEpochMilli());
    ObjectNode vmm = line.putObject("hearth_qemu");
    vmm.put("accel", resolvedAccel == null ? null : resolvedAccel.qemuName());
    vmm.put("qemu_pid", process == null ? -1 : process.pid());
    try {
      Files.writeString(metrics.get().metricsPath(), line + "\n", StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new FirecrackerBackendException(
          "Failed to write metrics to " + metrics.get().metricsPath() + ": " + e.getMessage(), e);
    }
  }

  /** One line in the logger's file, if one is configured; a write failure drops the line. */
  private void log(String message) {
    if (logWriter == null) {
      return;
    }
    try {
      logWriter.write(
          clock.now()
              + " ["
              + instanceId
              + ":"
              + Thread.currentThread().getName()
              + "] "
              + NAME
              + ": "
              + message
              + "\n");
      logWriter.flush();
    } catch (IOException e) {
      logWriter = null;
    }
  }

  private void closeQuietly() {
    try {
      if (qmp != null) {
        qmp.close();
      }
    } catch (IOException e) {
      // QEMU is gone; the connection with it.
    }
  }

  private void killAndWait(Process p) {
    p.destroyForcibly();
    try {
      p.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void deleteQmpSocket() throws IOException {
    Files.deleteIfExists(qmpSocket);
  }

  private void deleteQmpSocketQuietly() {
    try {
      deleteQmpSocket();
    } catch (IOException e) {
      log("cannot remove the QMP socket " + qmpSocket + ": " + e.getMessage());
    }
  }

  /** For the launcher's stderr and tests: the accelerator InstanceStart chose. */
  public synchronized Optional<QemuAccel> accelInUse() {
    return Optional.ofNullable(resolvedAccel);
  }

  @Override
  public String toString() {
    return NAME + " on " + qemuBinary;
  }
}
