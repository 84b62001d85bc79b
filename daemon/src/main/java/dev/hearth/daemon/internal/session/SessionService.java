package dev.hearth.daemon.internal.session;

import dev.hearth.core.Clock;
import dev.hearth.core.Printable;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VmState;
import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.daemon.internal.vm.VmHook;
import dev.hearth.session.FormatStepError;
import dev.hearth.session.InvalidSessionRequestException;
import dev.hearth.session.SessionIds;
import dev.hearth.session.SessionInfo;
import dev.hearth.session.SessionListing;
import dev.hearth.session.SessionOutputException;
import dev.hearth.session.SessionScripts;
import dev.hearth.session.SessionSpec;
import dev.hearth.session.SessionState;
import dev.hearth.session.SessionStepException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guest sessions: every operation runs one of the session module's scripts in the guest through
 * {@link GuestScripts}. The guest's session folders are the truth; the {@link SessionRegistry}
 * holds the controllers (write locks) and the last state read. No lock of the VM lifecycle is taken
 * here; the registry's lock is never held across guest I/O, the per-VM start lock and the
 * per-session write lock are held across the one script each guards.
 */
public final class SessionService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SessionService.class);

  /** The VMs, as sessions need them. */
  public interface Vms {
    /** The VM named or id-prefixed {@code ref}; throws not_found. */
    Vm find(String ref);

    /** Every VM. */
    List<Vm> list();
  }

  /** A new session's request, validated by {@link SessionSpec}. */
  public record StartRequest(
      String vm,
      Optional<String> name,
      List<String> argv,
      Optional<String> cwd,
      Map<String, String> env) {}

  /** A session with the VM it runs in. */
  public record Listed(Vm vm, SessionInfo info) {}

  /** One VM that could not be listed, for {@code session.list} of all VMs. */
  public record ListFailure(Vm vm, String message) {}

  /** All running VMs' sessions, and the VMs whose list failed. */
  public record AllSessions(List<Listed> sessions, List<ListFailure> failures) {}

  /** How a session ended, or that it still runs. */
  public record End(SessionState state, OptionalInt exitCode) {}

  /** How a stream of output ended: where the log stands, and the session's end if it ended. */
  public record StreamEnd(long nextOffset, SessionInfo info) {}

  private final Vms vms;
  private final GuestScripts guest;
  private final Clock clock;
  private final SessionRegistry registry = new SessionRegistry();
  private final ExecutorService background;

  public SessionService(Vms vms, GuestScripts guest, Clock clock) {
    this.vms = vms;
    this.guest = guest;
    this.clock = clock;
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
   * The hook that follows VMs: a running VM (created, started, or re-adopted at daemon start) has
   * its sessions rediscovered in the background; a deleted VM's controllers are dropped (its guest,
   * and every session in it, is gone).
   */
  public VmHook hook() {
    return new VmHook() {
      @Override
      public String name() {
        return "sessions";
      }

      @Override
      public void started(Vm vm) {
        rediscoverLater(vm);
      }

      @Override
      public void deleted(Vm vm) {
        registry.forget(vm.id());
      }
    };
  }

  private void rediscoverLater(Vm vm) {
    try {
      background.execute(
          () -> {
            try {
              List<SessionInfo> found = list(vm);
              long running = found.stream().filter(s -> s.state() == SessionState.RUNNING).count();
              log.info("VM {}: found {} session(s), {} running", vm.name(), found.size(), running);
            } catch (HearthException e) {
              log.warn("VM {}: cannot list its sessions: {}", vm.name(), e.getMessage());
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("not listing the sessions of VM {}: the daemon is closing", vm.name());
    }
  }

  // ---- start, list ----

  /**
   * Starts a session and returns it once its command runs.
   *
   * @throws HearthException invalid params for a bad request, not_found / precondition_failed for
   *     the VM, conflict for a taken name, precondition_failed for a missing folder or command
   */
  public SessionInfo start(StartRequest request) throws InterruptedException {
    Vm vm = running(request.vm());
    SessionSpec spec;
    try {
      spec =
          new SessionSpec(
              SessionIds.newId(),
              request.name(),
              request.argv(),
              request.cwd(),
              request.env(),
              clock.now());
    } catch (InvalidSessionRequestException e) {
      throw HearthException.invalid(e.getMessage());
    }
    SessionScripts scripts = scripts(vm);
    ReentrantLock startLock = registry.startLock(vm.id());
    startLock.lockInterruptibly();
    Result result;
    try {
      result = run(vm, scripts.start(spec), new byte[0]);
    } finally {
      startLock.unlock();
    }
    if (result.exit != 0) {
      throw rpcError(FormatStepError.ofStart(spec, vm.name(), result.exit, result.stderr()));
    }
    try {
      SessionListing.parseStarted(spec.id(), result.stdout());
    } catch (SessionOutputException e) {
      throw HearthException.hostError(e.getMessage());
    }
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
    log.info("VM {}: started session {}", vm.name(), registry.add(vm.id(), info).label());
    return info;
  }

  /** A running VM's sessions, oldest first, read from the guest. */
  public List<Listed> list(String vmRef) throws InterruptedException {
    Vm vm = running(vmRef);
    return list(vm).stream().map(s -> new Listed(vm, s)).toList();
  }

  /** The sessions of every running VM; a VM whose guest does not answer is reported apart. */
  public AllSessions listAll() throws InterruptedException {
    List<Listed> sessions = new ArrayList<>();
    List<ListFailure> failures = new ArrayList<>();
    for (Vm vm : vms.list()) {
      if (vm.state() != VmState.RUNNING) {
        continue;
      }
      try {
        list(vm).forEach(s -> sessions.add(new Listed(vm, s)));
      } catch (HearthException e) {
        failures.add(new ListFailure(vm, e.getMessage()));
      }
    }
    return new AllSessions(sessions, failures);
  }

  private List<SessionInfo> list(Vm vm) throws InterruptedException {
    Result result = run(vm, scripts(vm).list(), new byte[0]);
    if (result.exit != 0) {
      throw rpcError(
          FormatStepError.of("list", "all sessions", vm.name(), result.exit, result.stderr()));
    }
    try {
      List<SessionInfo> found = SessionListing.parse(result.stdout());
      registry.update(vm.id(), found);
      return found;
    } catch (SessionOutputException e) {
      throw HearthException.hostError("VM " + vm.name() + ": " + e.getMessage());
    }
  }

  // ---- one session ----

  /**
   * Writes bytes to the session's stdin; writes to one session never interleave.
   *
   * @throws HearthException precondition_failed when the session no longer runs or its input was
   *     closed
   */
  public void write(String vmRef, String sessionRef, byte[] data, boolean eof)
      throws InterruptedException {
    Vm vm = running(vmRef);
    write(vm, controller(vm, sessionRef), data, eof);
  }

  private void write(Vm vm, SessionController session, byte[] data, boolean eof)
      throws InterruptedException {
    SessionScripts scripts = scripts(vm);
    session.writeLock.lockInterruptibly();
    try {
      if (data.length > 0) {
        check(vm, session, "write", run(vm, scripts.write(session.id), data));
      }
      if (eof) {
        check(vm, session, "write", run(vm, scripts.closeStdin(session.id), new byte[0]));
      }
    } finally {
      session.writeLock.unlock();
    }
  }

  /** Sends a signal to the session's process group; returns the signal's name. */
  public String kill(String vmRef, String sessionRef, String signal) throws InterruptedException {
    Vm vm = running(vmRef);
    SessionController session = controller(vm, sessionRef);
    String script;
    try {
      script = scripts(vm).kill(session.id, signal);
    } catch (InvalidSessionRequestException e) {
      throw HearthException.invalid(e.getMessage());
    }
    check(vm, session, "kill", run(vm, script, new byte[0]));
    return dev.hearth.session.SessionSignal.parse(signal);
  }

  /** Waits until the session ends (or {@code cancel} fires) and returns how it ended. */
  public End waitFor(String vmRef, String sessionRef, Cancellation cancel)
      throws InterruptedException {
    Vm vm = running(vmRef);
    SessionController session = controller(vm, sessionRef);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        runStreaming(
            vm, scripts(vm).waitFor(session.id), InputStream.nullInputStream(), out, err, cancel);
    check(vm, session, "wait", new Result(exit, out.toByteArray(), err.toByteArray()));
    OptionalInt code = SessionListing.parseWait(out.toString(StandardCharsets.UTF_8));
    return new End(code.isPresent() ? SessionState.EXITED : SessionState.LOST, code);
  }

  /**
   * Copies the session's log from {@code offset} to {@code out}; with {@code follow}, then what the
   * command writes until it ends or {@code cancel} fires.
   */
  public StreamEnd logs(
      String vmRef,
      String sessionRef,
      long offset,
      boolean follow,
      OutputStream out,
      Cancellation cancel)
      throws InterruptedException {
    Vm vm = running(vmRef);
    SessionController session = controller(vm, sessionRef);
    return copyLog(vm, session, offset, follow, out, cancel, "logs");
  }

  /**
   * Attaches: replays the log from {@code offset} and follows it, while {@code input} (the client's
   * keystrokes) is written to the session's stdin, chunk by chunk, under its write lock. Ends when
   * the session ends or {@code cancel} fires (the client detached or went away); the session runs
   * on either way. The end of {@code input} stops the forwarding only: the session's stdin stays
   * open for later writers.
   */
  public StreamEnd attach(
      String vmRef,
      String sessionRef,
      long offset,
      InputStream input,
      OutputStream out,
      Cancellation cancel)
      throws InterruptedException {
    Vm vm = running(vmRef);
    SessionController session = controller(vm, sessionRef);
    Cancellation pumpDone = new Cancellation();
    cancel.onCancel(pumpDone::cancel);
    try {
      background.execute(() -> forwardInput(vm, session, input, pumpDone));
      return copyLog(vm, session, offset, true, out, cancel, "attach");
    } finally {
      pumpDone.cancel();
    }
  }

  private void forwardInput(
      Vm vm, SessionController session, InputStream input, Cancellation done) {
    byte[] buffer = new byte[64 * 1024];
    try {
      int n;
      while (!done.cancelled() && (n = input.read(buffer)) >= 0) {
        if (n > 0) {
          write(vm, session, java.util.Arrays.copyOf(buffer, n), false);
        }
      }
    } catch (IOException e) {
      log.debug("session {}: the attached client's input ended: {}", session.id, e.toString());
    } catch (HearthException e) {
      log.info("session {}: input from an attached client refused: {}", session.id, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private StreamEnd copyLog(
      Vm vm,
      SessionController session,
      long offset,
      boolean follow,
      OutputStream out,
      Cancellation cancel,
      String step)
      throws InterruptedException {
    if (offset < 0) {
      throw HearthException.invalid("a log offset cannot be negative; got " + offset);
    }
    SessionScripts scripts = scripts(vm);
    String script = follow ? scripts.follow(session.id, offset) : scripts.logs(session.id, offset);
    CountingOutputStream counted = new CountingOutputStream(out);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = runStreaming(vm, script, InputStream.nullInputStream(), counted, err, cancel);
    check(vm, session, step, new Result(exit, new byte[0], err.toByteArray()));
    long next = offset + counted.count;
    SessionInfo info = session.info();
    if (follow) {
      End end = waitFor(vm, session);
      info = withEnd(info, end);
      session.update(info);
    }
    return new StreamEnd(next, info);
  }

  private End waitFor(Vm vm, SessionController session) throws InterruptedException {
    Result result = run(vm, scripts(vm).waitFor(session.id), new byte[0]);
    check(vm, session, "wait", result);
    OptionalInt code = SessionListing.parseWait(result.stdout());
    return new End(code.isPresent() ? SessionState.EXITED : SessionState.LOST, code);
  }

  private static SessionInfo withEnd(SessionInfo info, End end) {
    return new SessionInfo(
        info.id(),
        info.name(),
        info.argv(),
        info.cwd(),
        info.env(),
        info.startedAt(),
        end.state(),
        end.exitCode());
  }

  // ---- helpers ----

  private Vm running(String vmRef) {
    Vm vm = vms.find(vmRef);
    if (vm.state() != VmState.RUNNING) {
      throw HearthException.preconditionFailed(
          "VM "
              + vm.name()
              + " is "
              + vm.state().toString().toLowerCase(java.util.Locale.ROOT)
              + ", not running; its sessions are reachable once it runs (`hearth vm start "
              + vm.name()
              + "`)");
    }
    return vm;
  }

  private SessionController controller(Vm vm, String ref) throws InterruptedException {
    if (SessionIds.isValid(ref)) {
      Optional<SessionController> known = registry.find(vm.id(), ref);
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
        throw HearthException.invalid(
            "session id prefix '"
                + ref
                + "' matches "
                + byPrefix.size()
                + " sessions of VM "
                + vm.name()
                + ": "
                + String.join(", ", byPrefix.stream().map(SessionInfo::id).toList())
                + "; give more of the id or the name");
      }
      match = byPrefix.stream().findFirst();
    }
    String id =
        match
            .orElseThrow(
                () ->
                    HearthException.notFound(
                        "no session '"
                            + Printable.of(ref)
                            + "' in VM "
                            + vm.name()
                            + "; see `hearth session list "
                            + vm.name()
                            + "`"))
            .id();
    return registry.find(vm.id(), id).orElseThrow();
  }

  private SessionScripts scripts(Vm vm) {
    return new SessionScripts(guest.layout(vm), guest.privateVariables());
  }

  private void check(Vm vm, SessionController session, String step, Result result) {
    if (result.exit != 0) {
      throw rpcError(
          FormatStepError.of(step, session.label(), vm.name(), result.exit, result.stderr()));
    }
  }

  private static HearthException rpcError(SessionStepException e) {
    switch (e.kind()) {
      case NOT_FOUND:
        return HearthException.notFound(e.getMessage());
      case NAME_TAKEN:
        return HearthException.conflict(e.getMessage());
      case NOT_RUNNING:
      case STDIN_CLOSED:
      case NO_CWD:
      case NO_COMMAND:
        return HearthException.preconditionFailed(e.getMessage());
      default:
        return HearthException.hostError(e.getMessage());
    }
  }

  private record Result(int exit, byte[] out, byte[] err) {
    String stdout() {
      return new String(out, StandardCharsets.UTF_8);
    }

    String stderr() {
      return new String(err, StandardCharsets.UTF_8);
    }
  }

  private Result run(Vm vm, String script, byte[] stdin) throws InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        runStreaming(vm, script, new ByteArrayInputStream(stdin), out, err, Cancellation.never());
    return new Result(exit, out.toByteArray(), err.toByteArray());
  }

  private int runStreaming(
      Vm vm,
      String script,
      InputStream stdin,
      OutputStream out,
      OutputStream err,
      Cancellation cancel)
      throws InterruptedException {
    try {
      return guest.run(vm, script, stdin, out, err, cancel);
    } catch (CancellationException e) {
      throw e;
    } catch (IOException e) {
      if (cancel.cancelled()) {
        throw new CancellationException("the client went away");
      }
      throw HearthException.hostError(
          "cannot run a session script in VM "
              + vm.name()
              + " ("
              + vm.ip()
              + "): "
              + e.getMessage());
    }
  }

  /**
   * Stops the background rediscovery and input forwarding threads. It does not wait for them: a
   * rediscovery still dialling a guest ends when the daemon closes the SSH client.
   */
  @Override
  public void close() {
    background.shutdownNow();
  }

  private static final class CountingOutputStream extends OutputStream {
    private final OutputStream out;
    long count;

    CountingOutputStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }
}
