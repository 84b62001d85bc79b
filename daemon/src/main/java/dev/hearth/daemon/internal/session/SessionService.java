package dev.hearth.daemon.internal.session;

import dev.hearth.core.Clock;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VmState;
import dev.hearth.daemon.internal.guest.GuestRoute;
import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.daemon.internal.vm.VmHook;
import dev.hearth.session.Cancellation;
import dev.hearth.session.GuestCallTimeoutException;
import dev.hearth.session.GuestScripts;
import dev.hearth.session.GuestSessions;
import dev.hearth.session.InvalidSessionRequestException;
import dev.hearth.session.SessionException;
import dev.hearth.session.SessionGuest;
import dev.hearth.session.SessionInfo;
import dev.hearth.session.SessionListing;
import dev.hearth.session.SessionNotFoundException;
import dev.hearth.session.SessionScripts;
import dev.hearth.session.SessionStepException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Guest sessions of the daemon's VMs: finds the VM, checks that it runs, and hands its guest to the
 * session module's {@link GuestSessions}, whose errors become {@link HearthException}s here. No
 * lock of the VM lifecycle is taken.
 */
public final class SessionService implements AutoCloseable {
  /** The VMs, as sessions need them. */
  public interface Vms {
    /** The VM named or id-prefixed {@code ref}; throws not_found. */
    Vm find(String ref);

    /** Every VM. */
    List<Vm> list();
  }

  /** A new session's request, validated by the session module's {@code SessionSpec}. */
  public record StartRequest(
      String vm,
      Optional<String> name,
      List<String> argv,
      Optional<String> cwd,
      Map<String, String> env) {}

  /** A session with the VM it runs in. */
  public record Listed(Vm vm, SessionInfo info) {}

  /**
   * A VM that could not be listed (no session), or one session of it whose folder cannot be read (a
   * broken session: a meta file past its bound, values that do not parse).
   */
  public record ListFailure(Vm vm, Optional<String> session, String message) {}

  /** Sessions, and the VMs whose list failed and the sessions found broken. */
  public record AllSessions(List<Listed> sessions, List<ListFailure> failures) {}

  private final Vms vms;
  private final GuestRoute route;
  private final GuestSessions sessions;

  /**
   * @param route where a VM's guest answers SSH (the scripts' target)
   * @param guest how session scripts reach a guest
   */
  public SessionService(Vms vms, GuestRoute route, GuestScripts guest, Clock clock) {
    this.vms = vms;
    this.route = route;
    this.sessions = new GuestSessions(guest, clock);
  }

  /**
   * @param callTimeout how long a short session script may run ({@code guest_call_timeout})
   */
  public SessionService(
      Vms vms, GuestRoute route, GuestScripts guest, Clock clock, Duration callTimeout) {
    this(vms, route, guest, clock, callTimeout, SessionScripts.DEFAULT_LOG_MAX_BYTES);
  }

  /**
   * @param logMaxBytes the most of a session's output its log keeps ({@code session_log_max_size})
   */
  public SessionService(
      Vms vms,
      GuestRoute route,
      GuestScripts guest,
      Clock clock,
      Duration callTimeout,
      long logMaxBytes) {
    this.vms = vms;
    this.route = route;
    this.sessions = new GuestSessions(guest, clock, callTimeout, logMaxBytes);
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
        sessions.rediscoverLater(guest(vm));
      }

      @Override
      public void deleted(Vm vm) {
        sessions.forget(vm.id());
      }
    };
  }

  /**
   * Starts a session and returns it once its command runs.
   *
   * @throws HearthException invalid params for a bad request, not_found / precondition_failed for
   *     the VM, conflict for a taken name, precondition_failed for a missing folder or command
   */
  public SessionInfo start(StartRequest r) throws InterruptedException {
    SessionGuest vm = running(r.vm());
    return mapped(() -> sessions.start(vm, r.name(), r.argv(), r.cwd(), r.env()));
  }

  /**
   * A running VM's sessions, oldest first, read from the guest; its broken sessions are reported
   * apart, one failure each, so that one hostile session folder hides none of the others.
   */
  public AllSessions list(String vmRef) throws InterruptedException {
    Vm vm = vms.find(vmRef);
    SessionGuest guest = running(vm);
    List<Listed> found = new ArrayList<>();
    List<ListFailure> failures = new ArrayList<>();
    add(vm, guest, mapped(() -> sessions.listing(guest)), found, failures);
    return new AllSessions(found, failures);
  }

  /**
   * The sessions of every running VM; a VM whose guest does not answer, and a broken session, are
   * reported apart.
   */
  public AllSessions listAll() throws InterruptedException {
    List<Listed> found = new ArrayList<>();
    List<ListFailure> failures = new ArrayList<>();
    for (Vm vm : vms.list()) {
      if (vm.state() != VmState.RUNNING) {
        continue;
      }
      SessionGuest guest = guest(vm);
      try {
        add(vm, guest, sessions.listing(guest), found, failures);
      } catch (SessionException e) {
        failures.add(new ListFailure(vm, Optional.empty(), e.getMessage()));
      }
    }
    return new AllSessions(found, failures);
  }

  private static void add(
      Vm vm,
      SessionGuest guest,
      SessionListing.Listing listing,
      List<Listed> found,
      List<ListFailure> failures) {
    listing.sessions().forEach(s -> found.add(new Listed(vm, s)));
    listing
        .broken()
        .forEach(
            b ->
                failures.add(
                    new ListFailure(
                        vm, Optional.of(b.id()), GuestSessions.brokenMessage(guest, b))));
  }

  /**
   * Writes bytes to the session's stdin; writes to one session never interleave.
   *
   * @throws HearthException precondition_failed when the session no longer runs or its input was
   *     closed
   */
  public void write(String vmRef, String sessionRef, byte[] data, boolean eof)
      throws InterruptedException {
    SessionGuest vm = running(vmRef);
    mapped(
        () -> {
          sessions.write(vm, sessionRef, data, eof);
          return null;
        });
  }

  /** Sends a signal to the session's process group; returns the signal's name. */
  public String kill(String vmRef, String sessionRef, String signal) throws InterruptedException {
    SessionGuest vm = running(vmRef);
    return mapped(() -> sessions.kill(vm, sessionRef, signal));
  }

  /** Waits until the session ends (or {@code cancel} fires) and returns how it ended. */
  public GuestSessions.End waitFor(String vmRef, String sessionRef, Cancellation cancel)
      throws InterruptedException {
    SessionGuest vm = running(vmRef);
    return mapped(() -> sessions.waitFor(vm, sessionRef, cancel));
  }

  /**
   * Copies the session's log from {@code offset} to {@code out}; with {@code follow}, then what the
   * command writes until it ends or {@code cancel} fires.
   */
  public GuestSessions.LogEnd logs(
      String vmRef,
      String sessionRef,
      long offset,
      boolean follow,
      OutputStream out,
      Cancellation cancel)
      throws InterruptedException {
    SessionGuest vm = running(vmRef);
    return mapped(() -> sessions.logs(vm, sessionRef, offset, follow, out, cancel));
  }

  /**
   * Attaches: replays the log from {@code offset} and follows it while {@code input} is written to
   * the session's stdin (see {@link GuestSessions#attach}). Ends when the session ends or {@code
   * cancel} fires; the session runs on either way.
   */
  public GuestSessions.LogEnd attach(
      String vmRef,
      String sessionRef,
      long offset,
      InputStream input,
      OutputStream out,
      Cancellation cancel)
      throws InterruptedException {
    SessionGuest vm = running(vmRef);
    return mapped(() -> sessions.attach(vm, sessionRef, offset, input, out, cancel));
  }

  private SessionGuest running(String vmRef) {
    return running(vms.find(vmRef));
  }

  private SessionGuest running(Vm vm) {
    if (vm.state() != VmState.RUNNING) {
      throw HearthException.preconditionFailed(
          "VM "
              + vm.name()
              + " is "
              + vm.state().toString().toLowerCase(Locale.ROOT)
              + ", not running; its sessions are reachable once it runs (`hearth vm start "
              + vm.name()
              + "`)");
    }
    return guest(vm);
  }

  private SessionGuest guest(Vm vm) {
    return new SessionGuest(vm.id(), route.target(vm));
  }

  private interface SessionCall<T> {
    T call() throws InterruptedException;
  }

  /** Runs a session call, its errors turned into the daemon's kinds. */
  private static <T> T mapped(SessionCall<T> call) throws InterruptedException {
    try {
      return call.call();
    } catch (SessionStepException e) {
      throw switch (e.kind()) {
        case NOT_FOUND -> HearthException.notFound(e.getMessage());
        case NAME_TAKEN -> HearthException.conflict(e.getMessage());
        case NOT_RUNNING, STDIN_CLOSED, NO_CWD, NO_COMMAND ->
            HearthException.preconditionFailed(e.getMessage());
        default -> HearthException.hostError(e.getMessage());
      };
    } catch (SessionNotFoundException e) {
      throw HearthException.notFound(e.getMessage());
    } catch (InvalidSessionRequestException e) {
      throw HearthException.invalid(e.getMessage());
    } catch (GuestCallTimeoutException e) {
      throw HearthException.timeout(e.getMessage());
    } catch (SessionException e) {
      throw HearthException.hostError(e.getMessage());
    }
  }

  /**
   * Stops the background rediscovery and input forwarding threads. It does not wait for them: a
   * rediscovery still dialling a guest ends when the daemon closes the SSH client.
   */
  @Override
  public void close() {
    sessions.close();
  }
}
