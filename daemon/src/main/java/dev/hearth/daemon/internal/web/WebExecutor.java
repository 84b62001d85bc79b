package dev.hearth.daemon.internal.web;

import dev.hearth.core.Clock;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web UI's request threads, with two bounds the JDK's server does not keep. A connection that
 * finds every thread busy and the queue full is refused by a throw, upon which the JDK's dispatcher
 * closes it (a handler that only returned would leave its socket open for good). And an exchange,
 * from its request line to the last byte of its answer, holds its thread for a bounded time: past
 * it the thread is interrupted ({@link WebDeadlines}), and as the server's sockets are
 * interruptible channels that closes the connection, ending whatever read or write a client stalls.
 * An event stream is not held to it: its exchange hands the stream to {@link WebEvents} and ends at
 * once.
 */
final class WebExecutor implements Executor, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebExecutor.class);

  /** Refused connections are logged at most this often (a flood of them must not flood the log). */
  static final Duration REFUSAL_REPORT = Duration.ofMinutes(1);

  private final ThreadPoolExecutor pool;
  private final WebDeadlines deadlines;
  private final Duration exchangeTime;
  private final Clock clock;
  private final AtomicLong refusedSinceReport = new AtomicLong();
  private final AtomicLong lastReport;

  /**
   * @param threads request threads
   * @param queue exchanges waiting for a thread at most
   * @param exchangeTime how long one exchange may hold a thread
   */
  WebExecutor(int threads, int queue, Duration exchangeTime, WebDeadlines deadlines, Clock clock) {
    this.deadlines = deadlines;
    this.exchangeTime = exchangeTime;
    this.clock = clock;
    this.lastReport = new AtomicLong(clock.nanoTime() - REFUSAL_REPORT.toNanos());
    AtomicInteger made = new AtomicInteger();
    this.pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(queue),
            r -> {
              Thread t = new Thread(r, "hearth-web-" + made.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            (task, executor) -> refuse());
    pool.allowCoreThreadTimeOut(true);
  }

  @Override
  public void execute(Runnable exchange) {
    pool.execute(() -> runBounded(exchange));
  }

  private void runBounded(Runnable exchange) {
    WebDeadlines.Deadline deadline =
        deadlines.arm(
            exchangeTime,
            () ->
                log.info(
                    "a web UI exchange ran past {} ms: its connection is closed",
                    exchangeTime.toMillis()));
    try {
      exchange.run();
    } finally {
      deadline.close();
    }
  }

  /** Throws, so that the JDK's dispatcher closes the connection it could not hand over. */
  private void refuse() {
    refusedSinceReport.incrementAndGet();
    long now = clock.nanoTime();
    long last = lastReport.get();
    if (now - last >= REFUSAL_REPORT.toNanos() && lastReport.compareAndSet(last, now)) {
      log.warn(
          "the web UI is saturated: {} connection(s) closed unserved since the last report",
          refusedSinceReport.getAndSet(0));
    }
    throw new RejectedExecutionException("the web UI's request threads and queue are full");
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
