package dev.hearth.daemon;

import dev.hearth.core.testing.Await;
import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.daemon.internal.vm.VmHook;
import dev.hearth.session.Cancellation;
import dev.hearth.session.GuestScripts;
import dev.hearth.session.SessionGuest;
import dev.hearth.session.SessionLayout;
import dev.hearth.session.testing.SessionProcesses;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * The guests of daemon session tests: each VM gets a folder with its own session root and boot id
 * file, and scripts run with the local {@code /bin/sh}, so the daemon drives the real scripts. As a
 * VM hook it plays the guest going down when a VM stops or is deleted: the VM's session processes
 * are killed and its boot id changes. {@link #close} kills whatever is left.
 *
 * <p>Scripts start with every signal at its default disposition, as sshd starts them in a guest,
 * whatever this JVM inherited (see the session module's LocalGuest).
 */
final class LocalSessionGuest implements GuestScripts, VmHook, AutoCloseable {
  private final Path dir;

  /** Every script run, in order (for tests that wait for the daemon's own guest calls). */
  final List<String> scripts = new CopyOnWriteArrayList<>();

  LocalSessionGuest(Path dir) {
    this.dir = dir;
  }

  @Override
  public SessionLayout layout(SessionGuest guest) {
    Path vmDir = dir.resolve(guest.vmId());
    Path bootId = vmDir.resolve("boot_id");
    try {
      Files.createDirectories(vmDir);
      if (!Files.exists(bootId)) {
        Files.writeString(bootId, UUID.randomUUID() + "\n");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new SessionLayout(vmDir.resolve("sessions").toString(), bootId.toString());
  }

  @Override
  public int run(
      SessionGuest guest,
      String script,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderr,
      Cancellation cancel)
      throws IOException, InterruptedException {
    scripts.add(script);
    Process process =
        new ProcessBuilder("env", "--default-signal", "/bin/sh", "-c", script).start();
    cancel.onCancel(process::destroyForcibly);
    Thread in = pump(stdin, process.getOutputStream(), true);
    Thread err = pump(process.getErrorStream(), stderr, false);
    try (InputStream out = process.getInputStream()) {
      byte[] buffer = new byte[8192];
      int n;
      while ((n = out.read(buffer)) >= 0) {
        try {
          stdout.write(buffer, 0, n);
          stdout.flush();
        } catch (IOException e) {
          process.destroyForcibly();
          throw e;
        }
      }
    } catch (IOException e) {
      if (cancel.cancelled()) {
        throw new CancellationException("cancelled");
      }
      throw e;
    } finally {
      in.interrupt();
      // The script closed its stdout: it is ending, and its stderr with it.
      Await.join(err, "the stderr of a script that closed its stdout");
    }
    int exit = Await.exit(process, Await.DEFAULT, "a script that closed its stdout");
    if (cancel.cancelled()) {
      throw new CancellationException("cancelled");
    }
    return exit;
  }

  private static Thread pump(InputStream from, OutputStream to, boolean closeTo) {
    Thread t =
        new Thread(
            () -> {
              try (from) {
                from.transferTo(to);
              } catch (IOException e) {
                // the process ended first
              } finally {
                if (closeTo) {
                  try {
                    to.close();
                  } catch (IOException e) {
                    // already gone
                  }
                }
              }
            },
            "local-guest-pump");
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Override
  public String name() {
    return "local-session-guest";
  }

  @Override
  public void stopped(Vm vm) throws InterruptedException {
    down(vm);
  }

  @Override
  public void deleted(Vm vm) throws InterruptedException {
    down(vm);
  }

  /** The guest went down: its processes die, and the next boot has another id. */
  void down(Vm vm) throws InterruptedException {
    Path vmDir = dir.resolve(vm.id());
    SessionProcesses.killSessions(vmDir.resolve("sessions"));
    try {
      if (Files.isDirectory(vmDir)) {
        Files.writeString(vmDir.resolve("boot_id"), UUID.randomUUID() + "\n");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws Exception {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> vms = Files.list(dir)) {
      for (Path vmDir : vms.toList()) {
        SessionProcesses.killSessions(vmDir.resolve("sessions"));
      }
    }
  }
}
