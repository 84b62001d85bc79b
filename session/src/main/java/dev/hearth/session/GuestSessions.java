package dev.hearth.session;

import dev.hearth.core.Clock;
import dev.hearth.core.Printable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guest sessions of every VM (ARCHITECTURE.md, "Guest sessions"): each operation runs one of the
 * {@link SessionScripts} in the guest through {@link GuestScripts} and parses its output. The
 * guest's session folders are the truth; the {@link SessionRegistry} holds the controllers (write
 * locks) and the last state read. Every call holds a use of its session's controller until it
 * returns (an attach's input pump, until it stops). The registry's lock is never held across guest
 * I/O; the per-VM start lock and the per-session write lock are held across the one script each
 * guards.
 *
 * <p>Which VM, and whether it runs, is the caller's business: every method takes the guest. Errors
 * are {@link SessionException}s: {@link InvalidSessionRequestException} for a bad request, {@link
 * SessionNotFoundException}, {@link SessionStepException} for a script's refusal (by kind), {@link
 * SessionOutputException} and {@link GuestScriptException} when the guest misbehaves.
 */
public final class GuestSessions implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GuestSessions.class);

  /** How a session ended ({@code exitCode} empty when it was lost). */
  public record End(SessionState state, OptionalInt exitCode) {}

  /** How a stream of output ended: where the log stands, and the session's end if it ended. */
  public record LogEnd(long nextOffset, SessionInfo info) {}

  /**
   * The most bytes of a list script's output read into memory: many sessions' records (each meta at
   * most {@link SessionScripts#META_LIMIT}). Past it the list fails naming the bound.
   */
  static final int LIST_OUTPUT_LIMIT = 8 * 1024 * 1024;

  /**
   * The most bytes of any other script's stdout (an id, {@code exited N}) or any script's stderr
   * (its {@code hearth-error:} line) read into memory.
   */
  static final int SCRIPT_OUTPUT_LIMIT = 64 * 1024;

  /** {@code guest_call_timeout}'s default. */
  static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);

  private final GuestScripts guest;
  private final Clock clock;
  private final Duration callTimeout;
  private final long logMaxBytes;
  private final SessionRegistry registry = new SessionRegistry();
  private final ExecutorService background;
  private final SessionScriptRunner runner;

  public GuestSessions(GuestScripts guest, Clock clock) {
    this(guest, clock, DEFAULT_CALL_TIMEOUT);
  }

  /**
   * @param callTimeout how long a short script (start, list, status, kill, write) may run: {@code
   *     guest_call_timeout}. The streams (logs, wait, attach) run as long as their caller waits.
   */
  public GuestSessions(GuestScripts guest, Clock clock, Duration callTimeout) {
    this(guest, clock, callTimeout, SessionScripts.DEFAULT_LOG_MAX_BYTES);
  }

  /**
   * @param logMaxBytes the most of a session's output its log keeps in the guest ({@code
   *     session_log_max_size}): older output is dropped, and the logs skip it
   */
  public GuestSessions(GuestScripts guest, Clock clock, Duration callTimeout, long logMaxBytes) {
    this.guest = guest;
    this.clock = clock;
    this.callTimeout = callTimeout;
    this.logMaxBytes = logMaxBytes;
    this.runner = new SessionScriptRunner(guest, callTimeout);
    AtomicInteger threads = new AtomicInteger();
    this.background =
        Executors.newCachedThreadPool(
            task -> {
              Thread t = new Thread(task, "hearth-session-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Lists a guest's sessions in the background (a VM that just came up, or re-adopted at daemon
   * start), logging what it found. Whatever the guest answers, this only logs: its output is read
   * within the bounds, and an error ends this VM's rediscovery only.
   */
  public void rediscoverLater(SessionGuest vm) {
    try {
      background.execute(
          () -> {
            try {
              SessionListing.Listing found = listing(vm);
              long running =
                  found.sessions().stream().filter(s -> s.state() == SessionState.RUNNING).count();
              log.info(
                  "VM {}: found {} session(s), {} running{}",
                  vm.vmName(),
                  found.sessions().size(),
                  running,
                  found.broken().isEmpty() ? "" : ", " + found.broken().size() + " broken");
              found.broken().forEach(b -> log.warn("VM {}: {}", vm.vmName(), brokenMessage(vm, b)));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
              log.warn("VM {}: cannot list its sessions: {}", vm.vmName(), e.getMessage());
            }
          });
    } catch (RejectedExecutionException e) {
      log.debug("not listing the sessions of VM {}: closing", vm.vmName());
    }
  }

  /** Forgets a deleted VM's sessions (its guest, and every session in it, is gone). */
  public void forget(String vmId) {
    registry.forget(vmId);
  }

  /**
   * Starts a session and returns it once its command runs.
   *
   * @throws InvalidSessionRequestException for a bad name, command, folder or environment
   * @throws SessionStepException NAME_TAKEN, NO_CWD, NO_COMMAND when the guest refuses
   */
  public SessionInfo start(
      SessionGuest vm,
      Optional<String> name,
      List<String> argv,
      Optional<String> cwd,
      Map<String, String> env)
      throws InterruptedException {
    SessionSpec spec = new SessionSpec(SessionIds.newId(), name, argv, cwd, env, clock.now());
    SessionScripts scripts = scripts(vm);
    ReentrantLock startLock = registry.startLock(vm.vmId());
    startLock.lockInterruptibly();
    SessionScriptRunner.Result result;
    try {
      result = runner.run(vm, "start script", scripts.start(spec), new byte[0]);
    } finally {
      startLock.unlock();
    }
    if (result.exit() != 0) {
      throw FormatStepError.ofStart(spec, vm.vmName(), result.exit(), result.stderr());
    }
    SessionListing.parseStarted(spec.id(), result.stdout());
    SessionInfo info =
        new SessionInfo(
            spec.id(),
            spec.name(),
            spec.argv(),
            spec.cwd(),
            spec.env(),
            spec.startedAt(),
            SessionState.RUNNING,
            OptionalInt.empty());
    log.info("VM {}: started session {}", vm.vmName(), registry.add(vm.vmId(), info).label());
    return info;
  }

  /**
   * The guest's sessions, oldest first; broken session folders are left out (see {@link #listing}).
   */
  public List<SessionInfo> list(SessionGuest vm) throws InterruptedException {
    return listing(vm).sessions();
  }

  /**
   * The guest's sessions, oldest first, and the session folders that cannot be read (a meta file
   * past {@link SessionScripts#META_LIMIT}, a value that does not parse), each with its reason.
   *
   * @throws SessionOutputException when the whole output passes {@link #LIST_OUTPUT_LIMIT} or its
   *     framing does not parse
   */
  public SessionListing.Listing listing(SessionGuest vm) throws InterruptedException {
    SessionScriptRunner.Result result =
        runner.run(vm, "list script", scripts(vm).list(), new byte[0], LIST_OUTPUT_LIMIT);
    if (result.exit() != 0) {
      throw FormatStepError.of("list", "all sessions", vm.vmName(), result.exit(), result.stderr());
    }
    try {
      SessionListing.Listing found = SessionListing.parse(result.stdout());
      registry.update(vm.vmId(), found.sessions());
      registry.broken(vm.vmId(), found.broken());
      return found;
    } catch (SessionOutputException e) {
      throw new SessionOutputException("VM " + vm.vmName() + ": " + e.getMessage());
    }
  }

  /** How a broken session is reported: its id, its VM and why it cannot be read. */
  public static String brokenMessage(SessionGuest vm, SessionListing.Broken broken) {
    return "session " + broken.id() + " of VM " + vm.vmName() + " is broken: " + broken.reason();
  }

  /**
   * Writes bytes to the session's stdin, then EOF if asked; writes to one session never interleave.
   *
   * @throws SessionStepException NOT_RUNNING or STDIN_CLOSED
   */
  public void write(SessionGuest vm, String sessionRef, byte[] data, boolean eof)
      throws InterruptedException {
    SessionController session = acquire(vm, sessionRef);
    try {
      write(vm, session, data, eof);
    } finally {
      registry.release(session);
    }
  }

  private void write(SessionGuest vm, SessionController session, byte[] data, boolean eof)
      throws InterruptedException {
    SessionScripts scripts = scripts(vm);
    session.writeLock.lockInterruptibly();
    try {
      if (data.length > 0) {
        check(
            vm, session, "write", runner.run(vm, "write script", scripts.write(session.id), data));
      }
      if (eof) {
        check(
            vm,
            session,
            "write",
            runner.run(vm, "close-stdin script", scripts.closeStdin(session.id), new byte[0]));
      }
    } finally {
      session.writeLock.unlock();
    }
  }

  /** Sends a signal to the session's process group; returns the signal's name. */
  public String kill(SessionGuest vm, String sessionRef, String signal)
      throws InterruptedException {
    SessionController session = acquire(vm, sessionRef);
    try {
      String script = scripts(vm).kill(session.id, signal);
      check(vm, session, "kill", runner.run(vm, "kill script", script, new byte[0]));
      return SessionSignal.parse(signal);
    } finally {
      registry.release(session);
    }
  }

  /** Waits until the session ends (or {@code cancel} fires) and returns how it ended. */
  public End waitFor(SessionGuest vm, String sessionRef, Cancellation cancel)
      throws InterruptedException {
    SessionController session = acquire(vm, sessionRef);
    try {
      BoundedOutput out =
          SessionScriptRunner.capture(vm, "stdout", "wait script", SCRIPT_OUTPUT_LIMIT);
      BoundedOutput err =
          SessionScriptRunner.capture(vm, "stderr", "wait script", SCRIPT_OUTPUT_LIMIT);
      String script = scripts(vm).waitFor(session.id);
      int exit =
          runner.runStreaming(
              vm, "wait script", script, InputStream.nullInputStream(), out, err, cancel);
      check(vm, session, "wait", new SessionScriptRunner.Result(exit, out.bytes(), err.bytes()));
      return end(out.text());
    } finally {
      registry.release(session);
    }
  }

  /**
   * Copies the session's log from {@code offset} to {@code out}; with {@code follow}, then what the
   * command writes until it ends or {@code cancel} fires.
   */
  public LogEnd logs(
      SessionGuest vm,
      String sessionRef,
      long offset,
      boolean follow,
      OutputStream out,
      Cancellation cancel)
      throws InterruptedException {
    SessionController session = acquire(vm, sessionRef);
    try {
      return copyLog(vm, session, offset, follow, out, cancel, "logs");
    } finally {
      registry.release(session);
    }
  }

  /**
   * Attaches: replays the log from {@code offset} and follows it, while {@code input} (the client's
   * keystrokes) is written to the session's stdin, chunk by chunk, under its write lock. Ends when
   * the session ends or {@code cancel} fires (the client detached or went away); the session runs
   * on either way. The end of {@code input} stops the forwarding only: the session's stdin stays
   * open for later writers.
   */
  public LogEnd attach(
      SessionGuest vm,
      String sessionRef,
      long offset,
      InputStream input,
      OutputStream out,
      Cancellation cancel)
      throws InterruptedException {
    SessionController session = acquire(vm, sessionRef);
    Cancellation pumpDone = new Cancellation();
    try {
      cancel.onCancel(pumpDone::cancel);
      // The pump's own use: it may still be in a write when the attach returns.
      registry.retain(session);
      try {
        background.execute(() -> forwardInput(vm, session, input, pumpDone));
      } catch (RejectedExecutionException e) {
        registry.release(session);
        throw e;
      }
      return copyLog(vm, session, offset, true, out, cancel, "attach");
    } finally {
      pumpDone.cancel();
      registry.release(session);
    }
  }

  private void forwardInput(
      SessionGuest vm, SessionController session, InputStream input, Cancellation done) {
    byte[] buffer = new byte[64 * 1024];
    try {
      int n;
      while (!done.cancelled() && (n = input.read(buffer)) >= 0) {
        if (n > 0) {
          write(vm, session, Arrays.copyOf(buffer, n), false);
        }
      }
    } catch (IOException e) {
      log.debug("session {}: the attached client's input ended: {}", session.id, e.toString());
    } catch (SessionException e) {
      log.info("session {}: input from an attached client refused: {}", session.id, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      registry.release(session);
    }
  }

  private LogEnd copyLog(
      SessionGuest vm,
      SessionController session,
      long offset,
      boolean follow,
      OutputStream out,
      Cancellation cancel,
      String step)
      throws InterruptedException {
    if (offset < 0) {
      throw new InvalidSessionRequestException("a log offset cannot be negative; got " + offset);
    }
    SessionScripts scripts = scripts(vm);
    String script = follow ? scripts.follow(session.id, offset) : scripts.logs(session.id, offset);
    CountingOutputStream counted = new CountingOutputStream(out);
    BoundedOutput err =
        SessionScriptRunner.capture(vm, "stderr", step + " script", SCRIPT_OUTPUT_LIMIT);
    int exit =
        runner.runStreaming(
            vm, step + " script", script, InputStream.nullInputStream(), counted, err, cancel);
    check(vm, session, step, new SessionScriptRunner.Result(exit, new byte[0], err.bytes()));
    // Output the guest's trimmer dropped is skipped, not sent: the offsets still count it.
    long next =
        SessionScripts.nextOffset(
            offset,
            new String(err.bytes(), StandardCharsets.UTF_8),
            counted.count,
            "the " + step + " script of session " + session.label() + " in VM " + vm.vmName());
    SessionInfo info = session.info();
    if (follow) {
      SessionScriptRunner.Result result =
          runner.run(
              vm, "wait script", scripts.waitFor(session.id), new byte[0], SCRIPT_OUTPUT_LIMIT);
      check(vm, session, "wait", result);
      End end = end(result.stdout());
      info =
          new SessionInfo(
              info.id(),
              info.name(),
              info.argv(),
              info.cwd(),
              info.env(),
              info.startedAt(),
              end.state(),
              end.exitCode());
      session.update(info);
    }
    return new LogEnd(next, info);
  }

  private static End end(String waitOutput) {
    OptionalInt code = SessionListing.parseWait(waitOutput);
    return new End(code.isPresent() ? SessionState.EXITED : SessionState.LOST, code);
  }

  /**
   * The session {@code ref} names, taken for a call ({@link SessionRegistry#release} it): an exact
   * id already known (no guest round trip), else, after a list, an id, a name (the running one,
   * else the latest), or a unique id prefix.
   */
  private SessionController acquire(SessionGuest vm, String ref) throws InterruptedException {
    if (SessionIds.isValid(ref)) {
      Optional<SessionController> known = registry.acquire(vm.vmId(), ref);
      if (known.isPresent()) {
        return known.get();
      }
    }
    List<SessionInfo> sessions = list(vm);
    Optional<SessionInfo> match = sessions.stream().filter(s -> s.id().equals(ref)).findFirst();
    if (match.isEmpty()) {
      List<SessionInfo> named =
          sessions.stream().filter(s -> s.name().equals(Optional.of(ref))).toList();
      match =
          named.stream()
              .filter(s -> s.state() == SessionState.RUNNING)
              .findFirst()
              .or(() -> named.stream().max(Comparator.comparing(SessionInfo::startedAt)));
    }
    if (match.isEmpty() && ref.matches("[0-9a-f]{1,32}")) {
      List<SessionInfo> byPrefix = sessions.stream().filter(s -> s.id().startsWith(ref)).toList();
      if (byPrefix.size() > 1) {
        throw new InvalidSessionRequestException(
            "session id prefix '"
                + ref
                + "' matches "
                + byPrefix.size()
                + " sessions of VM "
                + vm.vmName()
                + ": "
                + String.join(", ", byPrefix.stream().map(SessionInfo::id).toList())
                + "; give more of the id or the name");
      }
      match = byPrefix.stream().findFirst();
    }
    if (match.isEmpty()) {
      Optional<SessionListing.Broken> broken = registry.findBroken(vm.vmId(), ref);
      if (broken.isPresent()) {
        throw new SessionOutputException(brokenMessage(vm, broken.get()));
      }
    }
    SessionInfo found =
        match.orElseThrow(
            () ->
                new SessionNotFoundException(
                    "no session '"
                        + Printable.of(ref)
                        + "' in VM "
                        + vm.vmName()
                        + "; see `hearth session list "
                        + vm.vmName()
                        + "`"));
    return registry.acquire(vm.vmId(), found);
  }

  private SessionScripts scripts(SessionGuest vm) {
    return new SessionScripts(guest.layout(vm), guest.privateVariables(), logMaxBytes);
  }

  private static void check(
      SessionGuest vm, SessionController session, String step, SessionScriptRunner.Result result) {
    if (result.exit() != 0) {
      throw FormatStepError.of(step, session.label(), vm.vmName(), result.exit(), result.stderr());
    }
  }

  /**
   * Stops the background rediscovery and input forwarding threads. It does not wait for them: a
   * rediscovery still dialling a guest ends when the SSH client is closed.
   */
  @Override
  public void close() {
    background.shutdownNow();
    runner.close();
  }
}
