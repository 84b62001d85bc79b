package dev.hearth.fcproc.testing;

import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.fcproc.server.FirecrackerSpec;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The fake firecracker as a program: parses firecracker's arguments as the real binary does (errors
 * worded the same), reads the test properties ({@link FakeFirecracker}'s {@code *_PROPERTY}
 * constants) and serves a {@link FakeFirecracker} until it shuts down.
 */
public final class FakeFirecrackerMain {
  private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

  private FakeFirecrackerMain() {}

  public static void main(String[] args) {
    Path socket = null;
    String id = "anonymous-instance";
    // Run by the stand-in jailer (FakeJailer) in place of an exec: its paths are the jail's.
    Path root = Path.of(System.getProperty(FakeFirecracker.JAIL_ROOT_PROPERTY, "/"));
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--id=")) { // as the jailer passes it
        id = args[i].substring("--id=".length());
        continue;
      }
      if (args[i].startsWith("--start-time-us=") || args[i].startsWith("--start-time-cpu-us=")) {
        continue;
      }
      switch (args[i]) {
        case "--version" -> {
          System.out.println(FakeFirecracker.VERSION_LINE);
          System.exit(0);
        }
        case "--api-sock" -> socket = Path.of(value(args, ++i));
        case "--id" -> id = value(args, ++i);
        default ->
            fail(
                "Arguments parsing error: Found argument '" + args[i] + "' which wasn't expected.");
      }
    }
    if (socket == null) {
      fail("Arguments parsing error: the fake firecracker needs --api-sock <path>.");
    }
    if (!INSTANCE_ID.matcher(id).matches()) {
      fail("Invalid instance ID: " + id + " (1 to 64 letters, digits and '-').");
    }
    FirecrackerSpec spec;
    try {
      spec = ReferenceSpec.load();
    } catch (RuntimeException e) {
      fail("fake firecracker: " + e.getMessage());
      return;
    }
    String hang = System.getProperty(FakeFirecracker.HANG_PROPERTY, "");
    if (!hang.isEmpty()) {
      hang(hang, socket);
      return;
    }
    long noise = Long.getLong(FakeFirecracker.CONSOLE_NOISE_PROPERTY, 0L);
    Path sock =
        socket.isAbsolute() && root.getParent() != null
            ? root.resolve(socket.getRoot().relativize(socket))
            : socket;
    FakeFirecracker fake =
        new FakeFirecracker(
            spec,
            sock,
            id,
            System.out,
            noise,
            () -> {
              System.out.flush();
              System.exit(0);
            },
            root);
    fake.ignoreCtrlAltDel(Boolean.getBoolean(FakeFirecracker.IGNORE_CTRL_ALT_DEL_PROPERTY));
    fake.consoleEcho(Boolean.getBoolean(FakeFirecracker.CONSOLE_ECHO_PROPERTY));
    if (Boolean.getBoolean(FakeFirecracker.GUEST_SSH_PROPERTY)) {
      Posix posix = Posix.system();
      if (posix.geteuid() != 0) {
        fail(
            FakeFirecracker.GUEST_FAILURE_PREFIX
                + FakeFirecracker.GUEST_SSH_PROPERTY
                + " needs root (to add the guest address).");
      }
      fake.emulateGuest(
          new ProcessRunner(posix, Clock.system()),
          () -> {
            System.out.flush();
            System.exit(1);
          });
      // SIGTERM and every exit path take the guest's address and SSH server down.
      Runtime.getRuntime().addShutdownHook(new Thread(fake::stopGuest, "fake-guest-stop"));
    }
    try {
      fake.start();
    } catch (FileAlreadyExistsException e) {
      fail("Failed to open the API socket at: " + sock + ". Check that it is not already used.");
    } catch (IOException e) {
      fail("Failed to bind the API socket at " + sock + ": " + e.getMessage());
    }
    System.out.println(
        "Running Firecracker v" + FakeFirecracker.VERSION + " (hearth fake, id " + id + ")");
    System.out.flush();
  }

  /** See {@link #FakeFirecracker.HANG_PROPERTY}: never returns. */
  private static void hang(String how, Path socket) {
    System.out.println("hearth fake firecracker: hanging (" + how + ")");
    System.out.flush();
    try (AFUNIXServerSocket server = AFUNIXServerSocket.newInstance()) {
      switch (how) {
        case "before-api" -> {}
        case "api" -> server.bind(AFUNIXSocketAddress.of(socket), 50);
        default ->
            fail(
                "fake firecracker: "
                    + FakeFirecracker.HANG_PROPERTY
                    + " must be before-api or api");
      }
      // Connections wait in the backlog, unanswered, until the process is killed.
      new CountDownLatch(1).await();
    } catch (IOException e) {
      fail("fake firecracker: cannot bind " + socket + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      fail("Arguments parsing error: " + args[i - 1] + " needs a value.");
    }
    return args[i];
  }

  private static void fail(String message) {
    System.err.println(message);
    System.exit(1);
  }
}
