package dev.hearth.daemon.internal.vm;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The registered {@link VmHook}s, called in registration order with failures contained. */
final class VmHooks {
  private static final Logger log = LoggerFactory.getLogger(VmHooks.class);

  private interface Call {
    void on(VmHook hook, Vm vm) throws InterruptedException;
  }

  private final List<VmHook> hooks;

  VmHooks(List<VmHook> hooks) {
    this.hooks = List.copyOf(hooks);
  }

  void started(Vm vm) throws InterruptedException {
    fire("started", vm, VmHook::started);
  }

  void stopped(Vm vm) throws InterruptedException {
    fire("stopped", vm, VmHook::stopped);
  }

  void deleted(Vm vm) throws InterruptedException {
    fire("deleted", vm, VmHook::deleted);
  }

  private void fire(String event, Vm vm, Call call) throws InterruptedException {
    for (VmHook hook : hooks) {
      try {
        call.on(hook, vm);
      } catch (RuntimeException e) {
        log.warn("VM hook {} failed on {} of VM {}", hook.name(), event, vm.name(), e);
      }
    }
  }
}
