package dev.hearth.core;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The real {@link Runner}. Each command runs in a session of its own (through {@code setsid} when
 * the host has it), so that on timeout or interrupt the whole process group is killed, not just the
 * direct child; processes that escaped the group but are still descendants are killed too.
 */
public final class ProcessRunner implements Runner {
  private static final Duration REAP_GRACE = Duration.ofSeconds(5);

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
    List<String> spawned = new ArrayList<>();
    setsid.ifPresent(p -> spawned.add(p.toString()));
    spawned.addAll(argv);
    ProcessBuilder pb = new ProcessBuilder(spawned);
    pb.environment().putAll(command.env());
    command.cwd().ifPresent(dir -> pb.directory(dir.toFile()));
    if (command.stdin().isEmpty()) {
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
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
      throw new CommandTimeoutException(argv, command.timeout(), err.text());
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

  private void killTree(Process process) throws InterruptedException {
    List<ProcessHandle> descendants = process.descendants().toList();
    if (setsid.isPresent()) {
      // The child is its own session and group leader: its pid is the group id.
      posix.kill(-(int) process.pid(), Posix.Signal.SIGKILL);
    }
    descendants.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(REAP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
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
      // The command exited without reading all of its input; its exit code says the rest.
      if (!"Broken pipe".equals(e.getMessage()) && !"Stream closed".equals(e.getMessage())) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
