package dev.hearth.session;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The calls running in each VM's guest, so that they can all be ended at once: when the VM is
 * stopped or deleted ({@link #cancel}) and when the daemon shuts down ({@link #cancelAll}). Ending
 * a call runs its cancel actions (closing its SSH channel and session), which never wait on the
 * guest; the call's caller then gets a {@link GuestCallCancelledException} naming the VM and why.
 *
 * <p>One per daemon, held by its {@link MinaGuestDialer}. Nothing here does I/O, so it may be
 * called with locks held.
 */
public final class GuestCalls {
  // Guarded by this.
  private final Map<String, Set<Call>> byVm = new HashMap<>();
  private String closedBecause;

  /**
   * Registers a call in the VM's guest; the caller closes it when the call ends. After {@link
   * #cancelAll} the call is cancelled at once.
   *
   * @param vm the VM's name
   * @param what the call, for messages: "a command"
   */
  public Call begin(String vm, String what) {
    Call call = new Call(vm, what);
    String refused;
    synchronized (this) {
      refused = closedBecause;
      if (refused == null) {
        byVm.computeIfAbsent(vm, v -> new LinkedHashSet<>()).add(call);
      }
    }
    if (refused != null) {
      call.fire(GuestCallCancelledException.ended(vm, refused, what));
    }
    return call;
  }

  /**
   * Ends every call running in the VM's guest.
   *
   * @param why what happened to the VM, a clause after its name: "was deleted"
   * @return how many calls were ended
   */
  public int cancel(String vm, String why) {
    Set<Call> calls;
    synchronized (this) {
      calls = byVm.remove(vm);
    }
    if (calls == null) {
      return 0;
    }
    calls.forEach(c -> c.fire(GuestCallCancelledException.vmGone(vm, why, c.what)));
    return calls.size();
  }

  /**
   * Ends every call in every guest and every call begun from now on.
   *
   * @param why why: "the daemon is shutting down"
   */
  public void cancelAll(String why) {
    List<Call> calls = new ArrayList<>();
    synchronized (this) {
      closedBecause = why;
      byVm.values().forEach(calls::addAll);
      byVm.clear();
    }
    calls.forEach(c -> c.fire(GuestCallCancelledException.ended(c.vm, why, c.what)));
  }

  /** How many calls run in the VM's guest. */
  public synchronized int running(String vm) {
    return byVm.getOrDefault(vm, Set.of()).size();
  }

  private synchronized void remove(Call call) {
    Set<Call> calls = byVm.get(call.vm);
    if (calls != null && calls.remove(call) && calls.isEmpty()) {
      byVm.remove(call.vm);
    }
  }

  /** One call into a guest. */
  public final class Call implements AutoCloseable {
    private final String vm;
    private final String what;
    private final Cancellation cancellation = new Cancellation();
    private volatile GuestCallCancelledException cancelled;

    private Call(String vm, String what) {
      this.vm = vm;
      this.what = what;
    }

    private void fire(GuestCallCancelledException why) {
      cancelled = why;
      cancellation.cancel();
    }

    /**
     * Runs {@code action} when the call is cancelled, or at once if it already was. Actions run on
     * the cancelling thread: they must not block (closing a MINA session with {@code close(true)}
     * does not).
     */
    public void onCancel(Runnable action) {
      cancellation.onCancel(action);
    }

    /** Fires when the call is cancelled. */
    Cancellation cancellation() {
      return cancellation;
    }

    /** Why the call was ended from outside, if it was. */
    public Optional<GuestCallCancelledException> cancelled() {
      return Optional.ofNullable(cancelled);
    }

    /** Throws the cancellation, if the call was cancelled. */
    public void throwIfCancelled() {
      GuestCallCancelledException e = cancelled;
      if (e != null) {
        throw e.during(what);
      }
    }

    /** The call ended: it is no longer tracked. */
    @Override
    public void close() {
      remove(this);
    }
  }
}
