package dev.hearth.session;

import dev.hearth.core.testing.Await;
import dev.hearth.session.testing.SessionProcesses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Stands in for a guest: runs session scripts with the real {@code /bin/sh} against a temp root,
 * with a boot id file the test can change to play a guest restart. {@link #close} kills every
 * process the sessions left.
 *
 * <p>Scripts start with every signal at its default disposition, as under sshd (which resets them
 * for its sessions), whatever the test JVM inherited: a JVM started in the background by a
 * non-interactive shell ({@code bash .ci/run &}) ignores SIGINT and SIGQUIT, a shell cannot undo an
 * ignored signal, and a session command would then never see the INT that a kill sends.
 */
final class LocalGuest implements AutoCloseable {
  /** How long one script may run; the wait and follow scripts run until their session ends. */
  static final Duration SCRIPT_DEADLINE = Duration.ofSeconds(60);

  record Result(int exit, byte[] stdout, String stderr) {
    String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }
  }

  final Path root;
  final Path bootId;
  final SessionScripts scripts;
  private final List<String> launcher;

  LocalGuest(Path dir) throws IOException {
    this(dir, List.of());
  }

  /**
   * @param launcher argv put before the guest's own (that ends in {@code "$@"}-style exec), to
   *     start the scripts from another environment
   */
  LocalGuest(Path dir, List<String> launcher) throws IOException {
    root = dir.resolve("guest root/sessions $x 'q'");
    bootId = dir.resolve("boot_id");
    Files.writeString(bootId, UUID.randomUUID() + "\n");
    scripts = new SessionScripts(new SessionLayout(root.toString(), bootId.toString()));
    this.launcher = List.copyOf(launcher);
  }

  /** The argv that runs {@code script} as the guest's sshd would. */
  List<String> argv(String script) {
    List<String> argv = new ArrayList<>(launcher);
    argv.addAll(List.of("env", "--default-signal", "/bin/sh", "-c", script));
    return argv;
  }

  Result run(String script) throws Exception {
    return run(script, new byte[0]);
  }

  Result run(String script, byte[] stdin) throws Exception {
    return run(describe(script), script, stdin);
  }

  /** Runs {@code script} to its end, {@code what} naming it should it not end in time. */
  Result run(String what, String script, byte[] stdin) throws Exception {
    Process process = new ProcessBuilder(argv(script)).start();
    Await.Output o = Await.output(process, stdin, SCRIPT_DEADLINE, what);
    return new Result(o.exitCode(), o.stdoutBytes(), o.stderr());
  }

  /** Runs a script that must succeed; returns its stdout. */
  String ok(String script) throws Exception {
    return ok(describe(script), script);
  }

  String ok(String what, String script) throws Exception {
    Result r = run(what, script, new byte[0]);
    if (r.exit != 0) {
      throw new AssertionError("script exited " + r.exit + ": " + r.stderr + "\n" + script);
    }
    return r.out();
  }

  /** Starts a long script (follow, wait) in the background. */
  Process spawn(String script) throws IOException {
    return new ProcessBuilder(argv(script)).start();
  }

  void reboot() throws IOException {
    Files.writeString(bootId, UUID.randomUUID() + "\n");
  }

  byte[] log(String id) throws IOException {
    return Files.readAllBytes(root.resolve(id).resolve("log"));
  }

  String logText(String id) throws IOException {
    return new String(log(id), StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws InterruptedException {
    SessionProcesses.killSessions(root);
  }

  /** Names a script by its last line, which says what it does (the start is a shared prelude). */
  static String describe(String script) {
    List<String> lines = script.strip().lines().toList();
    String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    return "the session script ending `"
        + (last.length() > 200 ? last.substring(0, 200) : last)
        + "`";
  }
}
