package dev.hearth.session;

/**
 * A call into a guest was ended from outside: its VM was stopped or deleted, or the daemon is
 * shutting down. The message names the VM, what ended the call and the call.
 */
public class GuestCallCancelledException extends GuestExecException {
  private static final long serialVersionUID = 1L;

  private final String vm;
  private final String why;
  private final boolean vmEvent;

  private GuestCallCancelledException(String vm, String why, String what, boolean vmEvent) {
    super(
        vmEvent
            ? "VM " + vm + " " + why + " while " + what + " was running"
            : what + " in VM " + vm + " was ended: " + why);
    this.vm = vm;
    this.why = why;
    this.vmEvent = vmEvent;
  }

  /**
   * The VM went away: "VM demo was deleted while the session list script was running".
   *
   * @param why what happened to the VM, a clause after its name: "was deleted"
   * @param what the call: "a command", "the session list script"
   */
  public static GuestCallCancelledException vmGone(String vm, String why, String what) {
    return new GuestCallCancelledException(vm, why, what, true);
  }

  /**
   * Something other than the VM ended the call: "a command in VM demo was ended: the daemon is
   * shutting down".
   */
  public static GuestCallCancelledException ended(String vm, String why, String what) {
    return new GuestCallCancelledException(vm, why, what, false);
  }

  /** The same cancellation, told of the call as its caller knows it. */
  public GuestCallCancelledException during(String what) {
    GuestCallCancelledException told = new GuestCallCancelledException(vm, why, what, vmEvent);
    told.initCause(this);
    return told;
  }

  public String vm() {
    return vm;
  }
}
