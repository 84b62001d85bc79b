package dev.hearth.qemu;

import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.fcproc.FcprocException;
import dev.hearth.fcproc.server.FirecrackerApiServer;
import dev.hearth.fcproc.server.FirecrackerSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.util.Locale;

/**
 * {@code hearth-qemu-firecracker}: takes firecracker's command line, serves Firecracker's API on
 * {@code --api-sock} (fcproc's {@link FirecrackerApiServer}) and boots the VM under QEMU ({@link
 * QemuBackend}) on InstanceStart. The serial console is this process's stdout, as with firecracker.
 * When QEMU exits (the guest powered off or rebooted) the API socket is removed and the launcher
 * exits 0, or 1 naming why QEMU failed. QEMU never outlives the launcher, SIGKILL included.
 */
public final class QemuFirecracker {
  static final String NAME = QemuBackend.NAME;

  private QemuFirecracker() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    LauncherArgs parsed;
    try {
      parsed = LauncherArgs.parse(args, System.getenv());
    } catch (LauncherArgs.UsageException e) {
      System.err.println(e.getMessage());
      return 1;
    }
    switch (parsed.mode()) {
      case HELP -> {
        System.out.print(LauncherArgs.USAGE);
        return 0;
      }
      case VERSION -> {
        System.out.println(versionLine(parsed));
        return 0;
      }
      default -> {
        try {
          return serve(parsed, System.err);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          System.err.println(NAME + ": interrupted");
          return 1;
        }
      }
    }
  }

  /** What {@code --version} prints: a line FirecrackerBinary parses, naming QEMU's version. */
  static String versionLine(LauncherArgs args) {
    String qemu;
    try {
      qemu =
          "QEMU "
              + QemuVersion.read(
                  new ProcessRunner(Posix.system(), Clock.system()), args.qemuBinary());
    } catch (FcprocException e) {
      qemu = "QEMU unavailable: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      qemu = "QEMU unavailable: interrupted";
    }
    return "Firecracker v" + FirecrackerSpec.VERSION + " (" + NAME + ", " + qemu + ")";
  }

  private static int serve(LauncherArgs args, PrintStream err) throws InterruptedException {
    QemuBackend backend = new QemuBackend(args.qemuBinary(), args.accel(), args.qmpSocket(), err);
    FirecrackerApiServer server =
        new FirecrackerApiServer(
            FirecrackerSpec.bundled(),
            args.apiSocket(),
            args.instanceId(),
            backend,
            (m, p, b, s) -> {});
    try {
      server.start();
    } catch (FileAlreadyExistsException e) {
      err.println(
          "Failed to open the API socket at: "
              + args.apiSocket()
              + ". Check that it is not already used.");
      return 1;
    } catch (IOException e) {
      err.println("Failed to bind the API socket at " + args.apiSocket() + ": " + e.getMessage());
      return 1;
    }
    // SIGTERM: QEMU goes (it would anyway, with this process) and the sockets are removed.
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> stop(backend, server), "hearth-qemu-shutdown"));
    err.println(
        NAME
            + ": Firecracker v"
            + FirecrackerSpec.VERSION
            + " API on "
            + args.apiSocket()
            + " (id "
            + args.instanceId()
            + ", "
            + args.qemuBinary()
            + ", accel "
            + args.accel().name().toLowerCase(Locale.ROOT)
            + ")");
    QemuExit exit = backend.awaitExit();
    stop(backend, server);
    if (exit.clean()) {
      return 0;
    }
    err.println(NAME + ": " + exit.detail());
    return 1;
  }

  private static void stop(QemuBackend backend, FirecrackerApiServer server) {
    backend.close();
    try {
      server.close();
    } catch (IOException e) {
      System.err.println(NAME + ": cannot remove the API socket: " + e.getMessage());
    }
  }
}
