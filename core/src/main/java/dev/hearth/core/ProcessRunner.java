package dev.hearth.core;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The real {@link Runner}. Each command runs in a session of its own (through {@code setsid} when
 * the host has it), so that on timeout or interrupt the whole process group is killed, not just the
 * direct child; processes that escaped the group but are still descendants are killed too.
 */
public final class ProcessRunner implements Runner {
  private static final Duration REAP_GRACE = Duration.ofSeconds(5);

  /** Enough for any real fork chain; bounds the loop against a fork bomb. */
  private static final int MAX_STOP_ROUNDS = 32;

  private final Posix posix;
  private final Clock clock;
  private final Optional<Path> setsid;
  private final ExecutorService pumps =
      Executors.newCachedThreadPool(
          new ThreadFactoryBuilder().setNameFormat("runner-io-%d").setDaemon(true).build());

  public ProcessRunner(Posix posix, Clock clock) {
    this(posix, clock, findSetsid());
  }

  ProcessRunner(Posix posix, Clock clock, Optional<Path> setsid) {
    this.posix = posix;
    this.clock = clock;
    this.setsid = setsid;
  }

  private static Optional<Path> findSetsid() {
    for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
      Path p = Path.of(dir, "setsid");
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  @Override
  public CommandResult run(Command command) throws InterruptedException {
    List<String> argv = command.argv();
    // Through setsid a missing program would surface as setsid's exit code 127; say it plainly.
    checkProgram(command);
    List<String> spawned = new ArrayList<>();
    setsid.ifPresent(p -> spawned.add(p.toString()));
    spawned.addAll(argv);
    ProcessBuilder pb = new ProcessBuilder(spawned);
    pb.environment().putAll(command.env());
    command.cwd().ifPresent(dir -> pb.directory(dir.toFile()));
    if (command.stdin().isEmpty()) {
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    }
    long started = clock.nanoTime();
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new CommandException(
          argv, CommandException.NO_EXIT_CODE, "", "could not be started: " + e.getMessage(), e);
    }
    BoundedCapture out = BoundedCapture.head(command.outputCap());
    BoundedCapture err = BoundedCapture.tail(command.outputCap());
    Future<?> outPump = pumps.submit(() -> pump(process.getInputStream(), out));
    Future<?> errPump = pumps.submit(() -> pump(process.getErrorStream(), err));
    Future<?> inPump =
        command.stdin().isPresent()
            ? pumps.submit(() -> feed(process.getOutputStream(), command.stdin().get()))
            : null;
    boolean finished;
    try {
      finished = process.waitFor(command.timeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      killTree(process);
      throw e;
    }
    if (!finished) {
      killTree(process);
      awaitPumps(outPump, errPump, inPump);
      throw new CommandTimeoutException(
          argv, command.timeout(), CommandResult.tail(err.text(), CommandResult.STDERR_TAIL_CHARS));
    }
    awaitPumps(outPump, errPump, inPump);
    return new CommandResult(
        argv,
        process.exitValue(),
        out.bytes(),
        err.bytes(),
        out.truncated(),
        err.truncated(),
        Duration.ofNanos(clock.nanoTime() - started));
  }

  /** Fails like a failed exec when the program cannot be found or is not executable. */
  private static void checkProgram(Command command) {
    String program = command.argv().get(0);
    Optional<Path> found;
    if (program.contains("/")) {
      Path p = Path.of(program);
      if (!p.isAbsolute() && command.cwd().isPresent()) {
        p = command.cwd().get().resolve(p);
      }
      found = Optional.of(p).filter(ProcessRunner::isExecutableFile);
    } else {
      String path = command.env().getOrDefault("PATH", System.getenv("PATH"));
      found =
          Stream.of(path == null ? new String[0] : path.split(":"))
              .filter(dir -> !dir.isEmpty())
              .map(dir -> Path.of(dir, program))
              .filter(ProcessRunner::isExecutableFile)
              .findFirst();
    }
    if (found.isEmpty()) {
      throw new CommandException(
          command.argv(),
          CommandException.NO_EXIT_CODE,
          "",
          "could not be started: no executable '"
              + program
              + "'"
              + (program.contains("/") ? "" : " on PATH"));
    }
  }

  private static boolean isExecutableFile(Path p) {
    return Files.isRegularFile(p) && Files.isExecutable(p);
  }

  /**
   * Kills the child and everything it started. The tree is stopped first, round by round, so that
   * no process can fork or be reparented away while it is collected; then all of it is killed.
   */
  private void killTree(Process process) throws InterruptedException {
    int group = (int) process.pid();
    if (setsid.isPresent()) {
      // The child is its own session and group leader: its pid is the group id.
      signal(-group, Posix.Signal.SIGSTOP);
    }
    signal(group, Posix.Signal.SIGSTOP);
    Set<ProcessHandle> tree = new LinkedHashSet<>();
    for (int round = 0; round < MAX_STOP_ROUNDS; round++) {
      List<ProcessHandle> fresh =
          process.descendants().filter(h -> !tree.contains(h)).collect(Collectors.toList());
      if (fresh.isEmpty()) {
        break;
      }
      for (ProcessHandle h : fresh) {
        signal((int) h.pid(), Posix.Signal.SIGSTOP);
        tree.add(h);
      }
    }
    if (setsid.isPresent()) {
      signal(-group, Posix.Signal.SIGKILL);
    }
    tree.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(REAP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Sends a signal where permitted; a process we may not signal must not stop the others' kill. */
  private void signal(int pid, Posix.Signal sig) {
    try {
      posix.kill(pid, sig);
    } catch (CoreException e) {
      // EPERM, e.g. a setuid descendant: it is left to the kill of its group or parent.
    }
  }

  private static void awaitPumps(Future<?>... pumps) throws InterruptedException {
    for (Future<?> f : pumps) {
      if (f == null) {
        continue;
      }
      try {
        // A grandchild that kept the pipe open must not hold us forever.
        f.get(REAP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        f.cancel(true);
      }
    }
  }

  private static void pump(InputStream in, BoundedCapture capture) {
    byte[] buf = new byte[16 * 1024];
    try (in) {
      int n;
      while ((n = in.read(buf)) > 0) {
        capture.write(buf, n);
      }
    } catch (IOException e) {
      // The stream closes when the process is killed; what was read so far is kept.
    }
  }

  private static void feed(OutputStream stdin, byte[] bytes) {
    try (stdin) {
      stdin.write(bytes);
    } catch (IOException e) {
      // The command exited or closed its input without reading all of it; its exit code tells.
    }
  }
}
