package dev.hearth.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Bounded waits for tests. Every wait in a test goes through here (or has a deadline of its own):
 * it ends at its deadline with an {@link AssertionError} that names what it waited for, instead of
 * hanging until JUnit's global timeout with no clue. Deadlines are generous (a loaded two-core CI
 * machine is slow); they are limits, never assertions on speed.
 */
public final class Await {
  /** The deadline for a wait that takes milliseconds on an idle machine. */
  public static final Duration DEFAULT = Duration.ofSeconds(60);

  private static final long FIRST_POLL_MILLIS = 5;
  private static final long MAX_POLL_MILLIS = 100;

  private Await() {}

  /** A condition that may do I/O. */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /** A probe that may do I/O and answers empty until the value is there. */
  @FunctionalInterface
  public interface Probe<T> {
    Optional<T> get() throws Exception;
  }

  /** Polls {@code condition} until it holds; fails after {@code timeout} naming {@code what}. */
  public static void until(Duration timeout, String what, Condition condition) throws Exception {
    value(timeout, what, () -> condition.holds() ? Optional.of(Boolean.TRUE) : Optional.empty());
  }

  /** {@link #until(Duration, String, Condition)} with the {@link #DEFAULT} deadline. */
  public static void until(String what, Condition condition) throws Exception {
    until(DEFAULT, what, condition);
  }

  /** Polls {@code probe} until it gives a value, and returns it. */
  public static <T> T value(Duration timeout, String what, Probe<T> probe) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = FIRST_POLL_MILLIS;
    while (true) {
      Optional<T> v = probe.get();
      if (v.isPresent()) {
        return v.get();
      }
      if (System.nanoTime() - deadline >= 0) {
        throw timedOut(timeout, what);
      }
      Thread.sleep(pause);
      pause = Math.min(MAX_POLL_MILLIS, pause * 2);
    }
  }

  /** {@link #value(Duration, String, Probe)} with the {@link #DEFAULT} deadline. */
  public static <T> T value(String what, Probe<T> probe) throws Exception {
    return value(DEFAULT, what, probe);
  }

  /**
   * Waits for {@code process} to exit and returns its exit code. At the deadline the process and
   * its descendants are killed and the wait fails.
   */
  public static int exit(Process process, Duration timeout, String what)
      throws InterruptedException {
    if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      kill(process);
      throw timedOut(timeout, what + " (pid " + process.pid() + ") to exit");
    }
    return process.exitValue();
  }

  /** The exit code and everything a process wrote. */
  public record Output(int exitCode, byte[] stdoutBytes, byte[] stderrBytes) {
    public String stdout() {
      return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    public String stderr() {
      return new String(stderrBytes, StandardCharsets.UTF_8);
    }
  }

  /**
   * Reads a started process's stdout and stderr to their end (on two threads, so that neither pipe
   * fills) and waits for it to exit. At the deadline the process and its descendants are killed and
   * the wait fails, quoting what it wrote so far. Close or write its stdin before calling.
   */
  public static Output output(Process process, Duration timeout, String what)
      throws InterruptedException {
    return output(process, null, timeout, what);
  }

  /**
   * {@link #output(Process, Duration, String)}, writing {@code stdin} to the process (on a thread
   * of its own, while the output is read) and then closing it. A process may exit without reading
   * it all.
   */
  public static Output output(Process process, byte[] stdin, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CompletableFuture<Void> outDone = drain(process.getInputStream(), out);
    CompletableFuture<Void> errDone = drain(process.getErrorStream(), err);
    if (stdin != null) {
      feed(process.getOutputStream(), stdin);
    }
    try {
      CompletableFuture.allOf(outDone, errDone)
          .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        return new Output(process.exitValue(), bytes(out), bytes(err));
      }
    } catch (TimeoutException e) {
      // below
    } catch (ExecutionException e) {
      kill(process);
      throw new UncheckedIOException(
          "reading the output of " + what + " failed", (IOException) e.getCause());
    }
    kill(process);
    throw timedOut(
        timeout,
        what
            + " (pid "
            + process.pid()
            + ") to end; stdout so far: "
            + quote(bytes(out))
            + ", stderr so far: "
            + quote(bytes(err)));
  }

  /** Waits for {@code latch} to reach zero. */
  public static void latch(CountDownLatch latch, Duration timeout, String what)
      throws InterruptedException {
    if (!latch.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      throw timedOut(timeout, what);
    }
  }

  /** {@link #latch(CountDownLatch, Duration, String)} with the {@link #DEFAULT} deadline. */
  public static void latch(CountDownLatch latch, String what) throws InterruptedException {
    latch(latch, DEFAULT, what);
  }

  /**
   * Waits for {@code future}'s result; its failure is thrown as the {@link ExecutionException}. At
   * the deadline the future is cancelled (with interruption) and the wait fails.
   */
  public static <T> T result(Future<T> future, Duration timeout, String what)
      throws InterruptedException, ExecutionException {
    try {
      return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw timedOut(timeout, what);
    }
  }

  /** {@link #result(Future, Duration, String)} with the {@link #DEFAULT} deadline. */
  public static <T> T result(Future<T> future, String what)
      throws InterruptedException, ExecutionException {
    return result(future, DEFAULT, what);
  }

  /**
   * Runs a call that blocks with no deadline of its own (a product method that waits) on a thread
   * of its own, and returns its result or throws what it threw. At the deadline the thread is
   * interrupted and the wait fails.
   */
  public static <T> T call(Duration timeout, String what, Callable<T> call) throws Exception {
    Future<T> task = async("await-call", call);
    try {
      return result(task, timeout, what);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }

  /** {@link #call(Duration, String, Callable)} with the {@link #DEFAULT} deadline. */
  public static <T> T call(String what, Callable<T> call) throws Exception {
    return call(DEFAULT, what, call);
  }

  /**
   * Starts {@code call} on a daemon thread of its own (not a shared pool, where a call left blocked
   * by an earlier failure could starve later ones); wait for it with {@link #result}.
   */
  public static <T> Future<T> async(String name, Callable<T> call) {
    FutureTask<T> task = new FutureTask<>(call);
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    t.start();
    return task;
  }

  /** Waits for {@code thread} to end; at the deadline it is interrupted and the wait fails. */
  public static void join(Thread thread, Duration timeout, String what)
      throws InterruptedException {
    thread.join(Math.max(1, timeout.toMillis()));
    if (thread.isAlive()) {
      thread.interrupt();
      throw timedOut(timeout, what + " (thread " + thread.getName() + ") to end");
    }
  }

  /** {@link #join(Thread, Duration, String)} with the {@link #DEFAULT} deadline. */
  public static void join(Thread thread, String what) throws InterruptedException {
    join(thread, DEFAULT, what);
  }

  /** Takes the next element of {@code queue}. */
  public static <T> T take(BlockingQueue<T> queue, Duration timeout, String what)
      throws InterruptedException {
    T next = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    if (next == null) {
      throw timedOut(timeout, what);
    }
    return next;
  }

  private static AssertionError timedOut(Duration timeout, String what) {
    return new AssertionError("timed out after " + describe(timeout) + " waiting for " + what);
  }

  private static String describe(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  /** Kills the process, then the descendants it had (listed first: they outlive it). */
  private static void kill(Process process) {
    List<ProcessHandle> descendants = process.descendants().toList();
    process.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
  }

  private static CompletableFuture<Void> drain(InputStream in, ByteArrayOutputStream sink) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try (in) {
                byte[] buffer = new byte[8192];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  synchronized (sink) {
                    sink.write(buffer, 0, n);
                  }
                }
                done.complete(null);
              } catch (IOException e) {
                done.completeExceptionally(e);
              }
            },
            "await-drain");
    t.setDaemon(true);
    t.start();
    return done;
  }

  private static void feed(OutputStream in, byte[] bytes) {
    Thread t =
        new Thread(
            () -> {
              try (in) {
                in.write(bytes);
              } catch (IOException e) {
                // The process ended or closed its stdin without reading everything: allowed.
              }
            },
            "await-feed");
    t.setDaemon(true);
    t.start();
  }

  private static byte[] bytes(ByteArrayOutputStream sink) {
    synchronized (sink) {
      return sink.toByteArray();
    }
  }

  private static String quote(byte[] bytes) {
    String s = new String(bytes, StandardCharsets.UTF_8);
    return "'" + (s.length() > 2000 ? "…" + s.substring(s.length() - 2000) : s) + "'";
  }
}
