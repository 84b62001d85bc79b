package dev.hearth.fcproc.process;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.Posix;
import dev.hearth.fcproc.FcprocException;
import dev.hearth.fcproc.client.FirecrackerClient;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts firecracker processes that outlive the daemon, and re-adopts them after a restart.
 *
 * <p>Each VM runs as {@code setsid sh -c SCRIPT}: the script starts a console capper (a POSIX sh
 * loop) reading a named pipe, points its own stdout and stderr at that pipe, unlinks it and {@code
 * exec}s firecracker. So the recorded pid is firecracker's own; the process leads its own session
 * (no terminal hangup or daemon signal reaches it); nothing connects it to the JVM (no pipes, stdin
 * is /dev/null), so a daemon restart does not disturb it; and the capper, which lives as long as
 * firecracker, keeps the console log within its cap with the daemon gone: when the next line would
 * take the log past half the cap, the log is moved to {@code <log>.1} and a new one is started, so
 * the two files together never exceed the cap. {@code fold} (line-buffered by {@code stdbuf}, so
 * that each line reaches the log at once) first breaks the output into lines of at most {@link
 * #LINE_BYTES} bytes, so that a guest writing to its console without newlines can neither grow the
 * capper's memory (sh holds a whole line) nor keep its output out of the log.
 */
public final class FirecrackerLauncher {
  private static final Logger log = LoggerFactory.getLogger(FirecrackerLauncher.class);

  static final Duration POLL_INTERVAL = Duration.ofMillis(10);
  static final int CONSOLE_TAIL_BYTES = 2048;

  /** The longest console line the capper holds; a longer one continues on the next line. */
  static final int LINE_BYTES = 4096;

  /**
   * How long the capper may take to write what the VMM printed last once the VMM is gone: an early
   * exit's error, a kill and a log follower wait this long for it.
   */
  public static final Duration CAPPER_DRAIN = Duration.ofSeconds(5);

  static final Set<PosixFilePermission> CONSOLE_PERMISSIONS =
      PosixFilePermissions.fromString("rw-------");

  /** The longest line the VMM log and metrics cappers hold (a metrics line is one JSON object). */
  static final int VMM_LINE_BYTES = 65536;

  /**
   * Arguments: the console log, the bytes per log file, the pipe path, the capper's marker (a file
   * that exists while the capper runs), the VMM log, the metrics file, the bytes per VMM log or
   * metrics file, the {@code uid:gid} of a confined VMM (or ""), then firecracker's argv (wrapped
   * by the confinement). Runs under LC_ALL=C so that {@code ${#line}} and {@code %.Ns} count bytes.
   * The VMM log's and the metrics' pipes ({@link #pipe}) stay in place for the VMM to open by path
   * (the API's logger and metrics calls); the script holds each open for writing across the exec,
   * so that their cappers end with the VMM even if it never opens them.
   */
  static final String SPAWN_SCRIPT =
      String.join(
          "\n",
          "log=$1 half=$2 fifo=$3 capping=$4 vmmlog=$5 metrics=$6 vmmhalf=$7 owner=$8",
          "vmmpipe=$9 metricspipe=${10} jailed=${11}",
          "shift 11",
          // cap LOG HALF WIDTH: stdin's lines into LOG, rotated to LOG.1 past HALF bytes.
          "cap() {",
          "  umask 077",
          "  LC_ALL=C",
          "  export LC_ALL",
          "  exec 3>>\"$1\" || exit 1",
          "  size=$(wc -c <\"$1\")",
          "  keep=$(($2 - 1))",
          "  width=$((keep < $3 ? keep : $3))",
          "  stdbuf -oL fold -b -w \"$width\" | while IFS= read -r line || [ -n \"$line\" ]; do",
          "    n=$((${#line} + 1))",
          "    if [ \"$n\" -gt \"$2\" ]; then n=$2; fi",
          "    if [ $((size + n)) -gt \"$2\" ]; then",
          "      exec 3>&-",
          "      mv -f \"$1\" \"$1.1\"",
          "      exec 3>>\"$1\"",
          "      size=0",
          "    fi",
          "    printf \"%.${keep}s\\n\" \"$line\" >&3",
          "    size=$((size + n))",
          "  done",
          "}",
          "rm -f \"$fifo\" \"$vmmpipe\" \"$metricspipe\" || exit 1",
          "mkfifo -m 600 \"$fifo\" \"$vmmpipe\" \"$metricspipe\" || exit 1",
          // An unprivileged or jailed VMM opens the VMM log's and metrics' pipes itself.
          "if [ -n \"$owner\" ]; then chown \"$owner\" \"$vmmpipe\" \"$metricspipe\" || exit 1; fi",
          ": >\"$capping\" || exit 1",
          "(",
          "  cap \"$log\" \"$half\" " + LINE_BYTES,
          "  rm -f \"$capping\"",
          ") <\"$fifo\" &",
          "(cap \"$vmmlog\" \"$vmmhalf\" " + VMM_LINE_BYTES + ") <\"$vmmpipe\" &",
          "(cap \"$metrics\" \"$vmmhalf\" " + VMM_LINE_BYTES + ") <\"$metricspipe\" &",
          // 3 and 4: descriptors 5 to 9 are VmmConfinement's.
          "exec 3>\"$vmmpipe\" 4>\"$metricspipe\"",
          // The jailer closes every descriptor but 0 to 2 before it execs firecracker: a watcher
          // holds the pipes' write ends instead (so the cappers read on) while this process, the
          // VMM to be, lives (same pid and start time, not a zombie), and within a second after.
          "if [ -n \"$jailed\" ]; then",
          "  (",
          "    vmm=$$",
          "    read -r stat <\"/proc/$vmm/stat\" || exit 0",
          "    set -- ${stat##*\") \"}",
          "    born=${20}",
          "    while read -r stat 2>/dev/null <\"/proc/$vmm/stat\"; do",
          "      set -- ${stat##*\") \"}",
          "      if [ \"$1\" = Z ] || [ \"${20}\" != \"$born\" ]; then break; fi",
          "      sleep 1",
          "    done",
          "  ) </dev/null >/dev/null 2>&1 &",
          "fi",
          "exec >\"$fifo\" 2>&1 </dev/null",
          "rm -f \"$fifo\"",
          "exec \"$@\"",
          "");

  /**
   * The spawn script's {@code $0}: the script's own processes (itself before its {@code exec}, the
   * console cappers it forks) carry it in their command line, after {@code sh -c SCRIPT}, followed
   * by the console log, which names the VM.
   */
  static final String SCRIPT_NAME = "hearth-firecracker";

  private final Path binary;
  private final ProcessTable processTable;
  private final Posix posix;
  private final Clock clock;

  public FirecrackerLauncher(Path binary, ProcessTable processTable, Posix posix, Clock clock) {
    this.binary = requireNonNull(binary, "binary");
    this.processTable = requireNonNull(processTable, "processTable");
    this.posix = requireNonNull(posix, "posix");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * Spawns firecracker and waits until its API socket accepts connections. On any failure the
   * process is killed before the exception is thrown.
   *
   * @throws FirecrackerStartException naming the socket and the end of the console log
   */
  public FirecrackerProcess spawn(LaunchSpec spec) throws InterruptedException {
    return spawn(spec, Optional.empty());
  }

  /**
   * {@link #spawn(LaunchSpec)} with the VMM behind {@code confinement}'s wrapper: in the VM's
   * cgroup, in a mount namespace of its own, as an unprivileged user without capabilities. The
   * console capper stays outside, as the daemon's user.
   */
  public FirecrackerProcess spawn(LaunchSpec spec, VmmConfinement confinement)
      throws InterruptedException {
    return spawn(spec, Optional.of(confinement));
  }

  private FirecrackerProcess spawn(LaunchSpec spec, Optional<VmmConfinement> confinement)
      throws InterruptedException {
    Path socket = spec.apiSocket();
    FirecrackerClient client = new FirecrackerClient(socket);
    removeStaleSocket(socket, client);
    Path console = spec.consoleLog();
    try {
      Files.createDirectories(socket.toAbsolutePath().getParent());
      Files.createDirectories(console.toAbsolutePath().getParent());
      if (!Files.exists(console)) {
        // The guest's console may show secrets: keep it to the daemon's user.
        Files.createFile(console, PosixFilePermissions.asFileAttribute(CONSOLE_PERMISSIONS));
      }
    } catch (IOException e) {
      throw new FirecrackerStartException(
          "cannot create the console log " + console + " or the folder of " + socket, e);
    }
    Path fifo = console.resolveSibling(console.getFileName() + ".fifo");
    // The jailer execs firecracker in place (same pid), so everything below holds for both.
    List<String> vmm =
        spec.jailer()
            .map(JailerCommand::argv)
            .orElseGet(
                () ->
                    List.of(
                        binary.toString(),
                        "--api-sock",
                        socket.toString(),
                        "--id",
                        spec.instanceId()));
    List<String> argv =
        new ArrayList<>(
            List.of(
                "setsid",
                "/bin/sh",
                "-c",
                SPAWN_SCRIPT,
                SCRIPT_NAME,
                console.toString(),
                Long.toString(ConsoleLog.halfCap(spec.consoleLogMaxBytes())),
                fifo.toString(),
                capping(console).toString(),
                spec.vmmLog().toString(),
                spec.metrics().toString(),
                Long.toString(ConsoleLog.halfCap(spec.vmmLogMaxBytes())),
                pipeOwner(spec, confinement),
                spec.vmmLogPipe().toString(),
                spec.metricsPipe().toString(),
                spec.jailer().isPresent() ? "jailed" : ""));
    argv.addAll(confinement.map(c -> c.wrap(vmm)).orElse(vmm));
    ProcessBuilder builder =
        new ProcessBuilder(argv)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile()))
            .redirectErrorStream(true);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new FirecrackerStartException(
          "cannot start firecracker (" + Command.display(vmm) + ")", e);
    }
    ProcessIdentity identity;
    try {
      identity = ProcessIdentity.of((int) process.pid(), processTable);
    } catch (FcprocException e) {
      throw exitedEarly(spec, process);
    }
    log.debug(
        "spawned firecracker --id {} as pid {} on {}", spec.instanceId(), identity.pid(), socket);
    FirecrackerProcess vm =
        new FirecrackerProcess(identity, socket, client, processTable, posix, clock, process);
    boolean started = false;
    try {
      awaitSocket(spec, vm, process);
      started = true;
      return vm;
    } finally {
      if (!started) {
        vm.killQuietly();
      }
    }
  }

  /**
   * Kills the VMMs that a launcher started (in any daemon run) for console logs that {@code stray}
   * says belong to no running VM, each with its whole session. Every launcher's VMMs on the host
   * are looked at, so {@code stray} must say false for console logs outside its own daemon's state
   * folder: other daemons (test suites, benches) run VMs of their own. A daemon killed after a
   * spawn and before it recorded the process leaves such a VMM: it would hold the VM's API socket,
   * and so refuse the VM's next start, for ever. They are found by the script's own processes,
   * whose command line names the console log ({@link #SCRIPT_NAME}); the VMM leads their session.
   *
   * @return the console logs of the VMMs killed
   * @throws FcprocException when a session outlives SIGKILL
   */
  public static List<Path> killStrays(
      ProcessTable processTable, Posix posix, Clock clock, Predicate<Path> stray)
      throws InterruptedException {
    Map<Integer, Path> sessions = new LinkedHashMap<>();
    for (int pid : processTable.pids()) {
      List<String> argv = processTable.commandLine(pid);
      if (argv.size() > 4
          && argv.get(1).equals("-c")
          && argv.get(3).equals(SCRIPT_NAME)
          && !argv.get(4).isEmpty()) {
        Path console = Path.of(argv.get(4));
        if (stray.test(console)) {
          processTable
              .stat(pid)
              .filter(stat -> !stat.exited())
              .ifPresent(stat -> sessions.putIfAbsent(stat.sessionId(), console));
        }
      }
    }
    for (Map.Entry<Integer, Path> session : sessions.entrySet()) {
      log.info(
          "killing the VMM of {} (session {}): no running VM has it",
          session.getValue(),
          session.getKey());
      VmmSessions.kill(
          processTable, posix, clock, session.getKey(), "the stray VMM of " + session.getValue());
    }
    return List.copyOf(sessions.values());
  }

  /**
   * A firecracker process started earlier, possibly by another daemon run. Whether it is still the
   * same process is up to {@link FirecrackerProcess#isAlive()}.
   */
  public FirecrackerProcess adopt(ProcessIdentity identity, Path apiSocket) {
    return new FirecrackerProcess(
        identity, apiSocket, new FirecrackerClient(apiSocket), processTable, posix, clock, null);
  }

  private static void removeStaleSocket(Path socket, FirecrackerClient client) {
    if (!Files.exists(socket)) {
      return;
    }
    if (client.isAccepting()) {
      throw new FirecrackerStartException(
          "the API socket " + socket + " is in use by a live process; stop it first");
    }
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      throw new FirecrackerStartException("cannot remove the stale API socket " + socket, e);
    }
  }

  private void awaitSocket(LaunchSpec spec, FirecrackerProcess vm, Process process)
      throws InterruptedException {
    Path socket = spec.apiSocket();
    long deadline = clock.nanoTime() + spec.socketTimeout().toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw exitedEarly(spec, process);
      }
      if (Files.exists(socket) && vm.client().isAccepting()) {
        return;
      }
      if (clock.nanoTime() - deadline >= 0) {
        throw new FirecrackerStartException(
            "the API socket "
                + socket
                + " of firecracker --id "
                + spec.instanceId()
                + " (pid "
                + vm.identity().pid()
                + ", "
                + binary
                + ") did not accept connections within "
                + spec.socketTimeout().toMillis()
                + " ms"
                + consoleTail(spec.consoleLog()));
      }
      clock.sleep(POLL_INTERVAL);
    }
  }

  private FirecrackerStartException exitedEarly(LaunchSpec spec, Process process) {
    String code;
    try {
      code = process.waitFor(1, TimeUnit.SECONDS) ? "code " + process.exitValue() : "unknown code";
      awaitCapper(spec.consoleLog());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      code = "unknown code";
    }
    return new FirecrackerStartException(
        "firecracker --id "
            + spec.instanceId()
            + " ("
            + binary
            + ") exited with "
            + code
            + " before its API socket "
            + spec.apiSocket()
            + " accepted connections"
            + consoleTail(spec.consoleLog()));
  }

  /** Who the VMM runs as when not the daemon's user ({@code uid:gid}), or "". */
  private static String pipeOwner(LaunchSpec spec, Optional<VmmConfinement> confinement) {
    if (spec.jailer().isPresent()) {
      return spec.jailer().get().uid() + ":" + spec.jailer().get().gid();
    }
    return confinement.map(c -> c.uid() + ":" + c.gid()).orElse("");
  }

  /**
   * The named pipe that the VMM writes {@code log} through (its logger's or metrics' path in the
   * API): a capper started with the VMM reads it and keeps {@code log} with {@code <log>.1} within
   * the VMM log cap. It stays in the VM's folder while the VM runs.
   */
  public static Path pipe(Path log) {
    return log.resolveSibling(log.getFileName() + ".fifo");
  }

  /**
   * The file that exists while the console capper of {@code console} runs: once it is gone, the
   * console log holds all that the VM printed.
   */
  public static Path capping(Path console) {
    return console.resolveSibling(console.getFileName() + ".capping");
  }

  /**
   * Waits, a little, for the capper to write what an exited firecracker printed last: it reads the
   * pipe on after firecracker is gone, and those lines are what the error should quote.
   */
  private void awaitCapper(Path console) throws InterruptedException {
    long deadline = clock.nanoTime() + CAPPER_DRAIN.toNanos();
    while (Files.exists(capping(console)) && clock.nanoTime() - deadline < 0) {
      clock.sleep(POLL_INTERVAL);
    }
  }

  private static String consoleTail(Path console) {
    String tail = ConsoleLog.tail(console, CONSOLE_TAIL_BYTES).strip();
    return tail.isEmpty()
        ? "; the console log " + console + " is empty"
        : "; the console log " + console + " ends with:\n" + tail;
  }
}
