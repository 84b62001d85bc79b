package dev.hearth.daemon.internal.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import dev.hearth.daemon.HearthException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-Sent Events for the pages ({@code GET /api/events}). One thread polls the in-process API
 * every {@link #POLL} while anyone listens, and sends what changed: {@code vms} (the VM list) and
 * {@code ops} (the operations) to everyone, {@code console} (the console's tail) to those that
 * follow a VM. Each subscriber has a thread of its own that writes its queue to its browser, so a
 * slow or dead browser holds only its own thread: when its queue is full, by count or by bytes, it
 * is dropped (the page's EventSource connects again and gets everything afresh).
 */
final class WebEvents implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebEvents.class);

  /** How often the state is read while anyone listens. */
  static final Duration POLL = Duration.ofMillis(500);

  /** Subscribers at most; past them {@code /api/events} answers 503. */
  static final int MAX_SUBSCRIBERS = 16;

  /** Events waiting for one subscriber at most; past them it is dropped. */
  static final int QUEUE = 32;

  /**
   * Bytes of events waiting for one subscriber, or being written to it, at most; past them it is
   * dropped. Room for the largest event, a console's (512 KiB of console, escaped six-fold at most:
   * 3 MiB), with the lists; so {@link #MAX_SUBSCRIBERS} hold 64 MiB of events at most.
   */
  static final long QUEUE_BYTES = 4L << 20;

  /** A comment line this often keeps proxies and the browser from giving up on a quiet stream. */
  static final Duration KEEPALIVE = Duration.ofSeconds(15);

  private final WebApi api;
  private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService poller;
  private volatile byte[] lastVms = new byte[0];
  private volatile byte[] lastOps = new byte[0];

  WebEvents(WebApi api) {
    this.api = api;
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "hearth-web-events");
              t.setDaemon(true);
              return t;
            });
    poller.scheduleWithFixedDelay(this::poll, 0, POLL.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Takes the exchange over as a stream (headers sent here) and returns at once; false when {@link
   * #MAX_SUBSCRIBERS} are listening already (nothing was sent).
   */
  synchronized boolean subscribe(HttpExchange exchange, Optional<String> vm) throws IOException {
    if (subscribers.size() >= MAX_SUBSCRIBERS) {
      return false;
    }
    // Everything now, so that the page needs no other request to be up to date; read before the
    // headers go, so that a failure is still an error answer.
    byte[] vms = lastVms.length > 0 ? lastVms : WebApi.bytes(api.vms());
    byte[] ops = lastOps.length > 0 ? lastOps : WebApi.bytes(api.ops());
    Optional<byte[]> console = vm.map(this::consoleEvent);
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(200, 0);
    Subscriber s = new Subscriber(exchange, vm);
    subscribers.add(s);
    boolean started = false;
    try {
      s.offer(event("vms", vms));
      s.offer(event("ops", ops));
      console.ifPresent(s::console);
      s.thread.start();
      started = true;
    } finally {
      if (!started) {
        // Its thread, which would give the slot back, never ran.
        subscribers.remove(s);
      }
    }
    return true;
  }

  int subscriberCount() {
    return subscribers.size();
  }

  private void poll() {
    if (subscribers.isEmpty()) {
      lastVms = new byte[0];
      lastOps = new byte[0];
      return;
    }
    try {
      byte[] vms = WebApi.bytes(api.vms());
      if (!Arrays.equals(vms, lastVms)) {
        lastVms = vms;
        broadcast(event("vms", vms));
      }
      byte[] ops = WebApi.bytes(api.ops());
      if (!Arrays.equals(ops, lastOps)) {
        lastOps = ops;
        broadcast(event("ops", ops));
      }
      for (Subscriber s : subscribers) {
        s.vm.ifPresent(name -> s.console(consoleEvent(name)));
      }
    } catch (RuntimeException e) {
      // The next poll tries again; a page keeps what it has meanwhile.
      log.warn("the web UI could not read the daemon's state: {}", e.toString());
    }
  }

  private byte[] consoleEvent(String vm) {
    JsonNode data;
    try {
      data = api.console(vm);
    } catch (HearthException e) {
      data = WebApi.object().put("vm", vm).put("text", "").put("error", e.getMessage());
    }
    return event("console", WebApi.bytes(data));
  }

  private void broadcast(byte[] event) {
    for (Subscriber s : subscribers) {
      s.offer(event);
    }
  }

  static byte[] event(String name, byte[] json) {
    byte[] head = ("event: " + name + "\ndata: ").getBytes(StandardCharsets.UTF_8);
    byte[] out = Arrays.copyOf(head, head.length + json.length + 2);
    System.arraycopy(json, 0, out, head.length, json.length);
    out[out.length - 2] = '\n';
    out[out.length - 1] = '\n';
    return out;
  }

  @Override
  public void close() {
    poller.shutdownNow();
    for (Subscriber s : subscribers) {
      s.thread.interrupt();
    }
  }

  private final class Subscriber {
    final HttpExchange exchange;
    final Optional<String> vm;
    final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE);
    final Thread thread;

    /** Bytes of the events in the queue and of the one being written. */
    private final AtomicLong pendingBytes = new AtomicLong();

    private byte[] lastConsole = new byte[0];

    Subscriber(HttpExchange exchange, Optional<String> vm) {
      this.exchange = exchange;
      this.vm = vm;
      this.thread = new Thread(this::run, "hearth-web-sse");
      thread.setDaemon(true);
    }

    synchronized void console(byte[] event) {
      if (!Arrays.equals(event, lastConsole)) {
        lastConsole = event;
        offer(event);
      }
    }

    synchronized void offer(byte[] event) {
      if (pendingBytes.addAndGet(event.length) > QUEUE_BYTES || !queue.offer(event)) {
        // The browser does not read: its thread may be blocked in a write, which an interrupt
        // ends (the channel is closed).
        thread.interrupt();
      }
    }

    private void run() {
      try (OutputStream out = exchange.getResponseBody()) {
        while (!Thread.currentThread().isInterrupted()) {
          byte[] next = queue.poll(KEEPALIVE.toMillis(), TimeUnit.MILLISECONDS);
          out.write(next == null ? ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8) : next);
          out.flush();
          if (next != null) {
            pendingBytes.addAndGet(-next.length);
          }
        }
      } catch (IOException e) {
        // The browser went away: nothing to keep.
      } catch (InterruptedException e) {
        // Dropped, or the server closes: this thread ends here.
        Thread.currentThread().interrupt();
      } finally {
        subscribers.remove(this);
        exchange.close();
      }
    }
  }
}
