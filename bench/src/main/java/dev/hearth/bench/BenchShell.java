package dev.hearth.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Host commands for the benches, and {@code ssh} into one guest with the daemon's key. */
final class BenchShell {
  private final Path key;
  private final String ip;

  BenchShell(Path key, String ip) {
    this.key = key;
    this.ip = ip;
  }

  /** The {@code ssh} command line into the guest, for scripts that pipe through it. */
  String sshCommand() {
    return "ssh -i "
        + key
        + " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes"
        + " -o LogLevel=ERROR root@"
        + ip;
  }

  /** Runs {@code command} in the guest; returns its stdout. */
  String ssh(String command) throws IOException, InterruptedException {
    return bash(sshCommand() + " \"$CMD\"", Map.of("CMD", command));
  }

  /** Runs {@code script} with bash on the host, values passed in {@code env}; returns stdout. */
  static String bash(String script, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder("bash", "-c", script);
    builder.environment().putAll(env);
    return run(builder, script);
  }

  /** Runs to its end (at most an hour), stdin at end of file; returns stdout, fails on exit. */
  static String run(ProcessBuilder builder, String what) throws IOException, InterruptedException {
    Process p =
        builder
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(1, TimeUnit.HOURS)) {
      p.destroyForcibly();
      throw new IllegalStateException("still running after an hour: " + what);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("exited " + p.exitValue() + ": " + what);
    }
    return new String(out, StandardCharsets.UTF_8);
  }
}
