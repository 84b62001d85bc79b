package dev.hearth.daemon.internal.guest;

import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.daemon.internal.vm.VmHook;
import dev.hearth.session.GuestCalls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a VM's guest calls (session scripts, exec, copies, workspace transfers) once it is stopped,
 * killed or deleted: their SSH sessions are closed without waiting on the guest, and each caller
 * gets an error naming the VM and what happened to it. Without this a call to a guest that went
 * away would wait for TCP to give up, long after its VM.
 */
public final class GuestCallsHook implements VmHook {
  private static final Logger log = LoggerFactory.getLogger(GuestCallsHook.class);

  private final GuestCalls calls;

  public GuestCallsHook(GuestCalls calls) {
    this.calls = calls;
  }

  @Override
  public String name() {
    return "guest calls";
  }

  @Override
  public void stopped(Vm vm) {
    end(vm, "was stopped");
  }

  @Override
  public void deleted(Vm vm) {
    end(vm, "was deleted");
  }

  private void end(Vm vm, String why) {
    int ended = calls.cancel(vm.name(), why);
    if (ended > 0) {
      log.info("VM {} {}: ended its {} running guest call(s)", vm.name(), why, ended);
    }
  }
}
