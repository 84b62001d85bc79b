package dev.hearth.daemon;

import dev.hearth.daemon.internal.session.Cancellation;
import dev.hearth.daemon.internal.session.GuestScripts;
import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.daemon.internal.vm.VmHook;
import dev.hearth.session.SessionLayout;
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
 * file, and scripts run with the local {@code /bin/sh}, so the daemon drives the real scripts. As
 * a VM hook it plays the guest going down when a VM stops or is deleted: the VM's session
 * processes are killed and its boot id changes. {@link #close} kills whatever is left.
 */
final class LocalSessionGuest implements GuestScripts, VmHook, AutoCloseable {
  private final Path dir;
  /** Every script run, in order (for tests that wait for the daemon's own guest calls). */
  final List<String> scripts = new CopyOnWriteArrayList<>();

  LocalSessionGuest(Path dir) {
    this.dir = dir;
  }

  @Override
  public SessionLayout layout(Vm vm) {
    Path vmDir = dir.resolve(vm.id());
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
      Vm vm,
      String script,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderr,
      Cancellation cancel)
      throws IOException, InterruptedException {
    scripts.add(script);
    Process process = new ProcessBuilder("/bin/sh", "-c", script).start();
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
      err.join();
      in.interrupt();
    }
    int exit = process.waitFor();
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
  public void stopped(Vm vm) {
    down(vm);
  }

  @Override
  public void deleted(Vm vm) {
    down(vm);
  }

  /** The guest went down: its processes die, and the next boot has another id. */
  void down(Vm vm) {
    Path vmDir = dir.resolve(vm.id());
    killSessions(vmDir.resolve("sessions"));
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
        killSessions(vmDir.resolve("sessions"));
      }
    }
  }

  /**
   * Kills the processes of every session under {@code root} that has not exited: the wrapper
   * first (as a power cut would: no exit file gets written), then the holder and the command's
   * process group. Each pid is checked against /proc first, so a pid reused by another process
   * since is left alone.
   */
  static void killSessions(Path root) {
    if (!Files.isDirectory(root)) {
      return;
    }
    try (Stream<Path> sessions = Files.list(root)) {
      for (Path d : sessions.toList()) {
        if (Files.exists(d.resolve("exit"))) {
          continue;
        }
        pid(d.resolve("wrapper.pid"))
            .filter(pid -> cmdline(pid).contains(d.toString()))
            .ifPresent(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        pid(d.resolve("holder.pid"))
            .filter(pid -> cmdline(pid).equals("sleep 2147483647"))
            .ifPresent(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        pid(d.resolve("pid"))
            .filter(pid -> leadsItsSession(pid))
            .ifPresent(
                pid ->
                    ProcessHandle.allProcesses()
                        .filter(p -> processGroup(p.pid()) == pid)
                        .forEach(ProcessHandle::destroyForcibly));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static java.util.Optional<Long> pid(Path file) {
    try {
      return java.util.Optional.of(Long.parseLong(Files.readString(file).strip()));
    } catch (IOException | NumberFormatException e) {
      return java.util.Optional.empty();
    }
  }

  private static String cmdline(long pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ').strip();
    } catch (IOException e) {
      return "";
    }
  }

  /** Fields after the command name of /proc/PID/stat: state, ppid, pgrp, session, ... */
  private static String[] stat(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    } catch (IOException | RuntimeException e) {
      return new String[0];
    }
  }

  private static long processGroup(long pid) {
    String[] f = stat(pid);
    return f.length > 2 ? Long.parseLong(f[2]) : -1;
  }

  private static boolean leadsItsSession(long pid) {
    String[] f = stat(pid);
    return f.length > 3 && Long.parseLong(f[3]) == pid;
  }
}
