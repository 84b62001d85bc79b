package dev.hearth.session;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link GuestSessions}' scripts in a guest: a short one to its end within the call deadline
 * ({@code guest_call_timeout}) with its stdout and stderr bounded in memory, a stream as long as
 * its caller waits.
 */
final class SessionScriptRunner implements AutoCloseable {
  private final GuestScripts guest;
  private final Duration callTimeout;
  private final ScheduledExecutorService deadlines;

  SessionScriptRunner(GuestScripts guest, Duration callTimeout) {
    this.guest = guest;
    this.callTimeout = callTimeout;
    this.deadlines =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread t = new Thread(task, "hearth-guest-call-deadlines");
              t.setDaemon(true);
              return t;
            });
  }

  record Result(int exit, byte[] out, byte[] err) {
    String stdout() {
      return new String(out, StandardCharsets.UTF_8);
    }

    String stderr() {
      return new String(err, StandardCharsets.UTF_8);
    }
  }

  Result run(SessionGuest vm, String what, String script, byte[] stdin)
      throws InterruptedException {
    return run(vm, what, script, stdin, GuestSessions.SCRIPT_OUTPUT_LIMIT);
  }

  /**
   * Runs a script to its end with its stdout and stderr kept in memory, within {@code stdoutLimit}
   * and {@link GuestSessions#SCRIPT_OUTPUT_LIMIT} bytes.
   *
   * @param what the script, for an error: "list script"
   */
  Result run(SessionGuest vm, String what, String script, byte[] stdin, int stdoutLimit)
      throws InterruptedException {
    BoundedOutput out = capture(vm, "stdout", what, stdoutLimit);
    BoundedOutput err = capture(vm, "stderr", what, GuestSessions.SCRIPT_OUTPUT_LIMIT);
    // The deadline ends the script in the guest as a client going away would.
    Cancellation deadline = new Cancellation();
    ScheduledFuture<?> timer;
    try {
      timer = deadlines.schedule(deadline::cancel, callTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closing) {
      throw new GuestScriptException(
          "not running the session " + what + " in VM " + vm.vmName() + ": the daemon is closing",
          closing);
    }
    int exit;
    try {
      exit = runStreaming(vm, what, script, new ByteArrayInputStream(stdin), out, err, deadline);
    } catch (CancellationException e) {
      if (deadline.cancelled()) {
        throw new GuestCallTimeoutException(vm.vmName(), "the session " + what, callTimeout);
      }
      throw e;
    } finally {
      timer.cancel(false);
    }
    if (deadline.cancelled()) {
      // Ended by the deadline: its exit status is the signal's, not the script's.
      throw new GuestCallTimeoutException(vm.vmName(), "the session " + what, callTimeout);
    }
    return new Result(exit, out.bytes(), err.bytes());
  }

  static BoundedOutput capture(SessionGuest vm, String stream, String what, int limit) {
    return new BoundedOutput(
        "the " + stream + " of the session " + what + " in VM " + vm.vmName(), limit);
  }

  int runStreaming(
      SessionGuest vm,
      String what,
      String script,
      InputStream stdin,
      OutputStream out,
      OutputStream err,
      Cancellation cancel)
      throws InterruptedException {
    try {
      return guest.run(vm, script, stdin, out, err, cancel);
    } catch (GuestCallCancelledException e) {
      throw e.during("the session " + what);
    } catch (IOException e) {
      Optional<OutputLimitException> limit = OutputLimitException.in(e);
      if (limit.isPresent()) {
        throw new SessionOutputException(limit.get().getMessage());
      }
      if (cancel.cancelled()) {
        throw new CancellationException("the client went away");
      }
      throw new GuestScriptException(
          "cannot run a session script in VM "
              + vm.vmName()
              + " ("
              + vm.target().host()
              + "): "
              + e.getMessage(),
          e);
    }
  }

  @Override
  public void close() {
    deadlines.shutdownNow();
  }
}
