package dev.hearth.core;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ObjIntConsumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The real {@link Runner}. Each command runs in a session of its own (through {@code setsid} when
 * the host has it), so that on timeout or interrupt the whole process group is killed, not just the
 * direct child; processes that escaped the group but are still descendants are killed too.
 */
public final class ProcessRunner implements Runner {
  private static final Duration REAP_GRACE = Duration.ofSeconds(5);

  /** The longest line {@link #stream} delivers whole; longer ones come in pieces. */
  public static final int MAX_STREAMED_LINE_BYTES = 64 * 1024;

  /** How much of stderr {@link #stream} keeps for the result. */
  static final int STREAM_STDERR_TAIL_BYTES = 16 * 1024;

  /** How often {@link #stream} looks at the process and the deadline while no line comes. */
  private static final Duration STREAM_POLL = Duration.ofMillis(50);

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
    long started = clock.nanoTime();
    Process process = spawn(command);
    BoundedCapture out = BoundedCapture.head(command.outputCap());
    BoundedCapture err = BoundedCapture.tail(command.outputCap());
    Future<?> outPump = pumps.submit(() -> pump(process.getInputStream(), out::write));
    Future<?> errPump = pumps.submit(() -> pump(process.getErrorStream(), err::write));
    Future<?> inPump = feedStdin(command, process);
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

  /**
   * Streams the command's lines to the listener on the calling thread while it runs. The reader
   * threads split the output into lines and queue them (a full queue makes them stop reading, so a
   * slow listener slows the command instead of growing memory); the calling thread delivers them
   * and watches the deadline. Only the last {@link #STREAM_STDERR_TAIL_BYTES} of stderr are kept.
   */
  @Override
  public CommandResult stream(Command command, LineListener listener) throws InterruptedException {
    List<String> argv = command.argv();
    long started = clock.nanoTime();
    long deadline = started + command.timeout().toNanos();
    Process process = spawn(command);
    LineQueue lines = new LineQueue();
    BoundedCapture errTail = BoundedCapture.tail(STREAM_STDERR_TAIL_BYTES);
    LineSplitter outLines = new LineSplitter(LineListener.Source.STDOUT, lines);
    LineSplitter errLines = new LineSplitter(LineListener.Source.STDERR, lines);
    Future<?> outPump = pumps.submit(() -> pumpLines(process.getInputStream(), outLines, null));
    Future<?> errPump = pumps.submit(() -> pumpLines(process.getErrorStream(), errLines, errTail));
    Future<?> inPump = feedStdin(command, process);
    try {
      while (process.isAlive()) {
        long left = deadline - clock.nanoTime();
        if (left <= 0) {
          killTree(process);
          awaitPumps(errPump);
          throw new CommandTimeoutException(
              argv,
              command.timeout(),
              CommandResult.tail(errTail.text(), CommandResult.STDERR_TAIL_CHARS));
        }
        lines.deliverOne(listener, Math.min(left, STREAM_POLL.toNanos()));
      }
      // Exited: the rest of its output, unless a grandchild keeps a pipe open past the grace.
      long graceEnd = clock.nanoTime() + REAP_GRACE.toNanos();
      while (!(outPump.isDone() && errPump.isDone()) && clock.nanoTime() < graceEnd) {
        lines.deliverOne(listener, STREAM_POLL.toNanos());
      }
      lines.deliverQueued(listener);
    } catch (InterruptedException | RuntimeException | Error e) {
      if (process.isAlive()) {
        killTree(process);
      }
      throw e;
    } finally {
      lines.close();
      awaitPumps(outPump, errPump, inPump);
    }
    return new CommandResult(
        argv,
        process.exitValue(),
        new byte[0],
        errTail.bytes(),
        outLines.sawOutput(),
        errTail.truncated(),
        Duration.ofNanos(clock.nanoTime() - started));
  }

  /** Starts the command in its own session, stdin from /dev/null unless the command gives one. */
  private Process spawn(Command command) {
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
    try {
      return pb.start();
    } catch (IOException e) {
      throw new CommandException(
          argv, CommandException.NO_EXIT_CODE, "", "could not be started: " + e.getMessage(), e);
    }
  }

  private Future<?> feedStdin(Command command, Process process) {
    return command.stdin().isPresent()
        ? pumps.submit(() -> feed(process.getOutputStream(), command.stdin().get()))
        : null;
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

  private static void pump(InputStream in, ObjIntConsumer<byte[]> sink) {
    byte[] buf = new byte[16 * 1024];
    try (in) {
      int n;
      while ((n = in.read(buf)) > 0) {
        sink.accept(buf, n);
      }
    } catch (IOException e) {
      // The stream closes when the process is killed; what was read so far is kept.
    }
  }

  private static void pumpLines(InputStream in, LineSplitter lines, BoundedCapture tail) {
    try {
      pump(
          in,
          (buf, n) -> {
            if (tail != null) {
              tail.write(buf, n);
            }
            lines.write(buf, n);
          });
      lines.finish();
    } catch (LineQueue.ClosedException e) {
      // The caller stopped listening (timeout, interrupt, listener failure); the tree is killed.
    }
  }

  /** The lines the reader threads queue for the calling thread; bounded. */
  private static final class LineQueue {
    private static final int CAPACITY = 1024;

    static final class ClosedException extends RuntimeException {
      private static final long serialVersionUID = 1L;

      ClosedException() {
        super("line queue closed", null, false, false);
      }
    }

    private record Line(LineListener.Source source, String text) {}

    private final BlockingQueue<Line> queue = new ArrayBlockingQueue<>(CAPACITY);
    private volatile boolean closed;

    /** Called by a reader thread; waits while the queue is full, gives up once closed. */
    void put(LineListener.Source source, String text) {
      Line line = new Line(source, text);
      try {
        while (!queue.offer(line, STREAM_POLL.toNanos(), TimeUnit.NANOSECONDS)) {
          if (closed) {
            throw new ClosedException();
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ClosedException();
      }
    }

    void deliverOne(LineListener listener, long waitNanos) throws InterruptedException {
      Line line = queue.poll(waitNanos, TimeUnit.NANOSECONDS);
      if (line != null) {
        listener.onLine(line.source(), line.text());
      }
    }

    void deliverQueued(LineListener listener) {
      Line line;
      while ((line = queue.poll()) != null) {
        listener.onLine(line.source(), line.text());
      }
    }

    void close() {
      closed = true;
      queue.clear();
    }
  }

  /** Splits one stream's bytes into UTF-8 lines, {@code \n} or {@code \r\n} terminated. */
  private static final class LineSplitter {
    private final LineListener.Source source;
    private final LineQueue queue;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private boolean sawOutput;

    LineSplitter(LineListener.Source source, LineQueue queue) {
      this.source = source;
      this.queue = queue;
    }

    synchronized void write(byte[] buf, int len) {
      sawOutput |= len > 0;
      int from = 0;
      for (int i = 0; i < len; i++) {
        if (buf[i] == '\n') {
          pending.write(buf, from, i - from);
          emit();
          from = i + 1;
        } else if (pending.size() + (i - from) >= MAX_STREAMED_LINE_BYTES) {
          pending.write(buf, from, i - from);
          emit();
          from = i;
        }
      }
      pending.write(buf, from, len - from);
    }

    synchronized void finish() {
      if (pending.size() > 0) {
        emit();
      }
    }

    synchronized boolean sawOutput() {
      return sawOutput;
    }

    private void emit() {
      String text = pending.toString(StandardCharsets.UTF_8);
      pending.reset();
      queue.put(source, text.endsWith("\r") ? text.substring(0, text.length() - 1) : text);
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
