package dev.hearth.fcproc.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.hearth.core.Runner;
import dev.hearth.fcproc.client.Drive;
import dev.hearth.fcproc.client.LoggerConfig;
import dev.hearth.fcproc.client.MetricsConfig;
import dev.hearth.fcproc.server.ApiResponse;
import dev.hearth.fcproc.server.FirecrackerApiServer;
import dev.hearth.fcproc.server.FirecrackerBackend;
import dev.hearth.fcproc.server.FirecrackerSpec;
import dev.hearth.fcproc.server.VmSetup;
import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * A stand-in for the firecracker binary that serves the API on {@code --api-sock} and answers as
 * Firecracker v1.16.1 does, errors included: it is a fake backend on fcproc's {@link
 * FirecrackerApiServer} (the server the QEMU launcher uses too), which checks every request against
 * the spec, keeps the pre-boot state and answers 204, 200 or 400 with {@code fault_message}. The
 * spec is the shared reference copy ({@link ReferenceSpec}). Every request is recorded in {@code
 * <api-sock>.requests} ({@link RecordedRequest}). After {@code InstanceStart} it prints a boot line
 * to stdout (the serial console) and stays up until killed or sent {@code SendCtrlAltDel}, on which
 * it removes its socket and exits 0.
 *
 * <p>With {@link #GUEST_SSH_PROPERTY} it also emulates the guest's SSH server ({@link
 * FakeGuestSsh}), so that a daemon with the real guest seams can finish a create.
 *
 * <p>Run it as a binary ({@link FakeFirecrackerMain}) through {@link FakeFirecrackerScript}; tests
 * that need no process can run it in-process with {@link #start()}.
 */
public final class FakeFirecracker implements Closeable {
  public static final String VERSION = FirecrackerSpec.VERSION;
  public static final String VERSION_LINE = "Firecracker v" + VERSION;

  /** Printed to the console on InstanceStart. */
  public static final String BOOT_LINE =
      "[    0.000000] Linux version 6.1.0-hearth-fake: fake guest booting";

  /** Printed to the console on SendCtrlAltDel, before the exit. */
  public static final String SHUTDOWN_LINE = "reboot: Restarting system";

  /** System property: bytes of extra console output after the boot line, to test the log cap. */
  public static final String CONSOLE_NOISE_PROPERTY = "hearth.fake.consoleNoiseBytes";

  /**
   * When "true", SendCtrlAltDel is answered but the guest stays up, as a guest without an i8042
   * handler does; it then goes down only when killed or sent SIGTERM (standing in for a poweroff).
   */
  public static final String IGNORE_CTRL_ALT_DEL_PROPERTY = "hearth.fake.ignoreCtrlAltDel";

  /**
   * When "true" (root only), the guest answers SSH: after InstanceStart the guest IP of the boot
   * args' {@code ip=} becomes a local address on the network interface's TAP, with an SSH server on
   * port 22 (see {@link FakeGuestSsh}); its {@code poweroff} shuts the fake down as SendCtrlAltDel
   * does. If that cannot be set up, the fake says why on the console and exits 1.
   */
  public static final String GUEST_SSH_PROPERTY = "hearth.fake.guestSsh";

  /**
   * A VMM that hangs (fault tests): {@code "before-api"} never binds its API socket; {@code "api"}
   * binds it and takes connections but never answers a request. Either stays until killed.
   */
  public static final String HANG_PROPERTY = "hearth.fake.hang";

  /**
   * When "true", every API request answered after InstanceStart prints {@code hearth fake api:
   * METHOD PATH} to the console, so that a test can make a running guest write its console log.
   */
  public static final String CONSOLE_ECHO_PROPERTY = "hearth.fake.consoleEcho";

  /**
   * System property set by the stand-in jailer ({@link FakeJailer}): the jail's root folder, which
   * the fake treats as its {@code /} for the API socket and the files requests name.
   */
  public static final String JAIL_ROOT_PROPERTY = "hearth.fake.jailRoot";

  /**
   * System property: lines the fake writes to its log ({@code PUT /logger}) and metrics ({@code PUT
   * /metrics}) paths once configured, to test their caps; without it, one line each, as Firecracker
   * writes when it starts logging. Written on a thread of their own, as the paths are the cappers'
   * pipes.
   */
  public static final String VMM_LOG_LINES_PROPERTY = "hearth.fake.vmmLogLines";

  /** Printed to the console, with the reason, when the guest emulation cannot be set up. */
  public static final String GUEST_FAILURE_PREFIX = "hearth fake guest: cannot emulate the guest: ";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final FirecrackerApiServer server;
  private final String instanceId;
  private final PrintStream console;
  private final long noiseBytes;
  private final Runnable onShutdown;
  private final Path requestLog;

  /** How long a shutdown waits for the guest thread (its boot lines) before it goes on. */
  private static final Duration GUEST_THREAD_WAIT = Duration.ofSeconds(60);

  /** The guest's console output, written apart so that InstanceStart answers at once. */
  private Thread guest;

  private volatile boolean ignoreCtrlAltDel;
  private volatile boolean consoleEcho;

  /** Set when the guest emulation is on; see {@link #emulateGuest}. */
  private volatile Runner guestRunner;

  private volatile Runnable onGuestFailure;

  // Guarded by guestLock: the emulated guest, and whether the fake is closing.
  private final Object guestLock = new Object();
  private FakeGuestSsh guestSsh;
  private boolean closing;

  /**
   * @param console where the guest's serial output goes (stdout for the binary)
   * @param onShutdown run after the answer to SendCtrlAltDel has been written and the socket closed
   */
  public FakeFirecracker(
      FirecrackerSpec spec,
      Path apiSocket,
      String instanceId,
      PrintStream console,
      long noiseBytes,
      Runnable onShutdown) {
    this(spec, apiSocket, instanceId, console, noiseBytes, onShutdown, Path.of("/"));
  }

  /** The same, jailed: the files that requests name are relative to {@code root}. */
  public FakeFirecracker(
      FirecrackerSpec spec,
      Path apiSocket,
      String instanceId,
      PrintStream console,
      long noiseBytes,
      Runnable onShutdown,
      Path root) {
    this.instanceId = instanceId;
    this.console = console;
    this.noiseBytes = noiseBytes;
    this.onShutdown = onShutdown;
    this.requestLog = RecordedRequest.logFor(apiSocket);
    this.server =
        new FirecrackerApiServer(spec, apiSocket, instanceId, new Backend(), this::record, root);
  }

  /**
   * Binds the API socket and serves it on a (non-daemon) thread.
   *
   * @throws FileAlreadyExistsException when the socket path exists, as with the real firecracker
   */
  public void start() throws IOException {
    server.start();
  }

  public Path apiSocket() {
    return server.apiSocket();
  }

  /**
   * Turns the guest emulation on (see {@link #GUEST_SSH_PROPERTY}).
   *
   * @param runner runs the {@code ip} commands
   * @param onFailure run after the reason was printed, when the guest cannot be set up
   */
  public void emulateGuest(Runner runner, Runnable onFailure) {
    this.onGuestFailure = onFailure;
    this.guestRunner = runner;
  }

  /** Stops the emulated guest, if any, and keeps it from starting. */
  public void stopGuest() {
    synchronized (guestLock) {
      closing = true;
      if (guestSsh != null) {
        guestSsh.close();
      }
    }
  }

  /** Stops serving, stops the emulated guest and removes the socket. */
  @Override
  public void close() {
    stopGuest();
    try {
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Answers one request as if it came over the socket. */
  public ApiResponse handle(String method, String path, String body) throws InterruptedException {
    return server.handle(method, path, body);
  }

  /** The guest side: what InstanceStart and SendCtrlAltDel do. */
  private final class Backend implements FirecrackerBackend {
    @Override
    public Optional<String> unsupported(String operation) {
      return Optional.empty();
    }

    @Override
    public void instanceStart(VmSetup setup) {
      String guestIp = FakeGuestSsh.guestIp(setup.bootSource().bootArgs().orElse(""));
      String bootArgs = setup.bootSource().bootArgs().orElse("");
      Optional<Path> rootDisk = setup.rootDrive().map(Drive::pathOnHost);
      String guestTap =
          setup.networkInterfaces().isEmpty()
              ? null
              : setup.networkInterfaces().get(setup.networkInterfaces().size() - 1).hostDevName();
      guest =
          new Thread(
              () -> {
                bootConsole();
                if (guestRunner != null) {
                  startGuest(guestIp, guestTap, bootArgs, rootDisk);
                }
              },
              "fake-firecracker-guest");
      guest.start();
    }

    @Override
    public Runnable sendCtrlAltDel() {
      return ignoreCtrlAltDel ? () -> {} : FakeFirecracker.this::shutDown;
    }

    @Override
    public void loggerConfigured(LoggerConfig logger) {
      writeLines(logger.logPath(), i -> "fake firecracker " + instanceId + " log line " + i);
    }

    @Override
    public void metricsConfigured(MetricsConfig metrics) {
      writeLines(
          metrics.metricsPath(),
          i -> "{\"utc_timestamp_ms\": " + i + ", \"fake\": \"" + instanceId + "\"}");
    }
  }

  /** See {@link #VMM_LOG_LINES_PROPERTY}. */
  private void writeLines(Path file, IntFunction<String> line) {
    int count = Integer.getInteger(VMM_LOG_LINES_PROPERTY, 1);
    Thread writer =
        new Thread(
            () -> {
              try (PrintStream out =
                  new PrintStream(
                      Files.newOutputStream(file, StandardOpenOption.APPEND), false, UTF_8)) {
                for (int i = 0; i < count; i++) {
                  out.println(line.apply(i));
                }
              } catch (IOException e) {
                console.println("fake firecracker: cannot write " + file + ": " + e);
              }
            },
            "fake-firecracker-log");
    writer.setDaemon(true);
    writer.start();
  }

  /** See {@link #IGNORE_CTRL_ALT_DEL_PROPERTY}. */
  public void ignoreCtrlAltDel(boolean ignore) {
    this.ignoreCtrlAltDel = ignore;
  }

  /** See {@link #CONSOLE_ECHO_PROPERTY}. */
  void consoleEcho(boolean echo) {
    this.consoleEcho = echo;
  }

  private void bootConsole() {
    console.println(BOOT_LINE);
    console.println("hearth fake guest " + instanceId + " is up");
    if (noiseBytes > 0) {
      String filler = "x".repeat(90);
      long written = 0;
      for (long n = 0; written < noiseBytes; n++) {
        String line = String.format("noise %08d %s", n, filler);
        console.println(line);
        written += line.length() + 1;
      }
    }
    console.flush();
  }

  /** Boots the emulated guest; on failure says why and runs the failure action. */
  private void startGuest(String ip, String guestTap, String bootArgs, Optional<Path> rootDisk) {
    String problem;
    if (ip == null) {
      problem = "the boot args have no ip= (" + bootArgs + ")";
    } else if (guestTap == null) {
      problem = "no network interface with a host_dev_name was configured";
    } else {
      try {
        synchronized (guestLock) {
          if (closing) {
            return;
          }
          guestSsh =
              FakeGuestSsh.start(
                  guestRunner,
                  ip,
                  guestTap,
                  console,
                  () -> shutDown(FakeGuestSsh.POWEROFF_LINE),
                  rootDisk);
        }
        console.println("hearth fake guest: SSH on " + ip + ":" + FakeGuestSsh.PORT);
        console.flush();
        return;
      } catch (IOException e) {
        problem = e.getMessage();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        problem = "interrupted";
      }
    }
    console.println(GUEST_FAILURE_PREFIX + problem);
    console.flush();
    close();
    onGuestFailure.run();
  }

  private void shutDown() {
    shutDown(SHUTDOWN_LINE);
  }

  /** Ends the fake as the guest going down does: last console line, socket removed, exit. */
  private void shutDown(String lastLine) {
    try {
      guest.join(GUEST_THREAD_WAIT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (guest.isAlive()) {
      console.println(
          "hearth fake guest: the guest thread still runs "
              + GUEST_THREAD_WAIT
              + " after shutdown");
    }
    console.println(lastLine);
    console.flush();
    close();
    onShutdown.run();
  }

  private static JsonNode parse(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return new TextNode(body);
    }
  }

  private void record(String method, String path, String body, int status) {
    if (consoleEcho && guest != null) {
      console.println("hearth fake api: " + method + " " + path);
      console.flush();
    }
    ObjectNode entry = JSON.createObjectNode();
    entry.put("method", method);
    entry.put("path", path);
    entry.set("body", body.isEmpty() ? JSON.nullNode() : parse(body));
    entry.put("status", status);
    try {
      Files.writeString(
          requestLog, entry + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record a request in " + requestLog, e);
    }
  }
}
