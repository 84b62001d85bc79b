package dev.hearth.session;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Stands in for a guest: runs session scripts with the real {@code /bin/sh} against a temp root,
 * with a boot id file the test can change to play a guest restart. {@link #close} kills every
 * process the sessions left.
 */
final class LocalGuest implements AutoCloseable {
  record Result(int exit, byte[] stdout, String stderr) {
    String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }
  }

  final Path root;
  final Path bootId;
  final SessionScripts scripts;

  LocalGuest(Path dir) throws IOException {
    root = dir.resolve("guest root/sessions $x 'q'");
    bootId = dir.resolve("boot_id");
    Files.writeString(bootId, UUID.randomUUID() + "\n");
    scripts = new SessionScripts(new SessionLayout(root.toString(), bootId.toString()));
  }

  Result run(String script) throws Exception {
    return run(script, new byte[0]);
  }

  Result run(String script, byte[] stdin) throws Exception {
    Process process = new ProcessBuilder("/bin/sh", "-c", script).start();
    CompletableFuture<byte[]> out = drain(process.getInputStream());
    CompletableFuture<byte[]> err = drain(process.getErrorStream());
    try (OutputStream in = process.getOutputStream()) {
      in.write(stdin);
    }
    int exit = process.waitFor();
    return new Result(exit, out.get(), new String(err.get(), StandardCharsets.UTF_8));
  }

  /** Runs a script that must succeed; returns its stdout. */
  String ok(String script) throws Exception {
    Result r = run(script);
    if (r.exit != 0) {
      throw new AssertionError("script exited " + r.exit + ": " + r.stderr + "\n" + script);
    }
    return r.out();
  }

  /** Starts a long script (follow, wait) in the background. */
  Process spawn(String script) throws IOException {
    return new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(false).start();
  }

  void reboot() throws IOException {
    Files.writeString(bootId, UUID.randomUUID() + "\n");
  }

  byte[] log(String id) throws IOException {
    return Files.readAllBytes(root.resolve(id).resolve("log"));
  }

  @Override
  public void close() {
    killSessions(root);
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

  private static CompletableFuture<byte[]> drain(InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            in.transferTo(buffer);
            return buffer.toByteArray();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }
}
