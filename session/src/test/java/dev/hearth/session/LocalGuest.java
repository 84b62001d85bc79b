package dev.hearth.session;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.hearth.session.testing.SessionProcesses;
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
    SessionProcesses.killSessions(root);
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
