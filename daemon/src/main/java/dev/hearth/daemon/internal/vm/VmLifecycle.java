package dev.hearth.daemon.internal.vm;

import dev.hearth.core.OrderedLock;
import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VmState;
import dev.hearth.fcproc.FcprocException;
import dev.hearth.fcproc.VmmChoice;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.TapGuest;
import dev.hearth.fcproc.process.FirecrackerProcess;
import dev.hearth.session.SessionException;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code vm.start}, {@code vm.stop}, {@code vm.kill} and {@code vm.delete}. Start and stop hold the
 * VM's lock only for their state changes ({@code starting} and {@code stopping} keep other commands
 * off the VM while they wait on the guest); kill and delete hold it throughout, since they do no
 * guest I/O.
 */
final class VmLifecycle {
  private static final Logger log = LoggerFactory.getLogger(VmLifecycle.class);

  private final VmService.Parts parts;
  private final VmStore vms;
  private final VmLocks locks;
  private final VmLookup lookup;
  private final VmQuota quota;
  private final VmTransitions transitions;
  private final VmBoot boot;
  private final VmTeardown teardown;
  private final VmHooks hooks;

  VmLifecycle(
      VmService.Parts parts,
      VmStore vms,
      VmLookup lookup,
      VmQuota quota,
      VmTransitions transitions,
      VmBoot boot,
      VmTeardown teardown,
      VmHooks hooks) {
    this.parts = parts;
    this.vms = vms;
    this.locks = parts.locks();
    this.lookup = lookup;
    this.quota = quota;
    this.transitions = transitions;
    this.boot = boot;
    this.teardown = teardown;
    this.hooks = hooks;
  }

  /**
   * Boots a stopped VM again on its disk, address, TAP and name, and waits for SSH.
   *
   * @throws HearthException conflict when it is not stopped
   */
  Vm start(String ref) throws InterruptedException {
    Vm vm;
    String id = lookup.resolve(ref).id();
    try (OrderedLock.Held held = locks.vm(id).lock()) {
      vm = lookup.reload(id, ref);
      if (vm.state() != VmState.STOPPED && vm.state() != VmState.ERROR) {
        throw HearthException.conflict(
            "VM " + vm.name() + " is " + vm.state().wireName() + "; only a stopped VM can start");
      }
      if (vm.rootDisk().isEmpty()) {
        throw HearthException.preconditionFailed(
            "VM " + vm.name() + " has no root disk (its create failed); delete it");
      }
      // Under createVmLock (after the VM's lock, in the documented order), so that a create and
      // a start cannot both take the last room of a host total.
      try (OrderedLock.Held createHeld = locks.createVmLock().lock()) {
        quota.checkStart(lookup.list(), vm);
        vm = vm.withState(VmState.STARTING).withError(Optional.empty());
        vms.update(vm);
      }
    }
    Optional<FirecrackerProcess> process = Optional.empty();
    try {
      boot.ensureNetwork();
      if (parts.network().listTaps().contains(vm.tap())) {
        // Kept while stopped; a daemon with another bridge_name may have run since.
        parts.network().attachTap(vm.tap());
      } else {
        parts.network().createTap(vm.tap());
      }
      parts.network().guardTap(vm.tap(), new TapGuest(vm.mac(), Ipv4.parse(vm.ip())));
      VmmChoice vmm = parts.vmm().get();
      process = Optional.of(boot.boot("start", vm, vmm, vms::update));
      vm = vm.withProcess(Optional.of(process.get().identity())).withVmm(vmm.kind());
      parts.stageBarrier().reached("start.boot");
      boot.awaitSsh(vm);
      Vm running = transitions.transition(vm.id(), VmState.RUNNING, vm.process());
      hooks.started(running);
      return running;
    } catch (RuntimeException | InterruptedException e) {
      boolean interrupted = Thread.interrupted();
      try {
        if (process.isPresent()) {
          process.get().kill();
        }
        transitions.transition(vm.id(), VmState.STOPPED, Optional.empty());
      } catch (RuntimeException | InterruptedException cleanup) {
        e.addSuppressed(cleanup);
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
      if (e instanceof InterruptedException) {
        throw (InterruptedException) e;
      }
      throw VmErrors.asHostError("starting VM " + vm.name(), (RuntimeException) e);
    }
  }

  /**
   * Stops a running VM gracefully: {@code SendCtrlAltDel}; if the guest is still up after half of
   * {@code timeout}, {@code poweroff} over SSH; if it is still up when the timeout ends, SIGKILL.
   * The VM's lock is not held while waiting on the guest: the {@code stopping} state keeps other
   * commands off the VM meanwhile. A VM that is not running is returned as it is.
   */
  Vm stop(String ref, Duration timeout) throws InterruptedException {
    String id = lookup.resolve(ref).id();
    Vm vm;
    try (OrderedLock.Held held = locks.vm(id).lock()) {
      vm = lookup.reload(id, ref);
      requireSettled(vm, "stop");
      if (vm.state() != VmState.RUNNING) {
        return vm;
      }
      vms.update(vm.withState(VmState.STOPPING));
    }
    parts.stageBarrier().reached("stop");
    String how;
    try {
      how =
          shutDown(
              vm,
              parts.adopter().adopt(vm.process().orElseThrow(), parts.apiSocket(vm.id())),
              timeout);
    } catch (FcprocException e) {
      transitions.transition(vm.id(), VmState.RUNNING, vm.process());
      throw VmErrors.asHostError("stopping VM " + vm.name(), e);
    } catch (InterruptedException | RuntimeException e) {
      transitions.transition(vm.id(), VmState.RUNNING, vm.process());
      throw e;
    }
    log.info("VM {} stopped ({})", vm.name(), how);
    Vm stopped = transitions.transition(vm.id(), VmState.STOPPED, Optional.empty());
    hooks.stopped(stopped);
    return stopped;
  }

  /** The three steps of a graceful stop; says which one brought the guest down. */
  private String shutDown(Vm vm, FirecrackerProcess process, Duration timeout)
      throws InterruptedException {
    Duration half = timeout.dividedBy(2);
    try {
      process.client().sendCtrlAltDel();
      if (process.waitForExit(half)) {
        // Gone already: kill() only removes its API socket now.
        process.kill();
        return "guest shut down after SendCtrlAltDel";
      }
    } catch (FcprocException e) {
      log.info("VM {}: SendCtrlAltDel failed ({}); trying poweroff", vm.name(), e.getMessage());
    }
    long start = parts.clock().nanoTime();
    try {
      parts.powerOff().powerOff(vm.ip(), VmBoot.SSH_PORT, half);
    } catch (DaemonException | SessionException e) {
      log.info("VM {}: poweroff over SSH failed ({})", vm.name(), e.getMessage());
    }
    Duration left = timeout.minus(half).minusNanos(parts.clock().nanoTime() - start);
    if (process.waitForExit(left.isNegative() ? Duration.ZERO : left)) {
      process.kill();
      return "guest powered off over SSH";
    }
    process.kill();
    return "killed after " + timeout.toSeconds() + " s";
  }

  /** SIGKILLs a running VM at once. */
  Vm kill(String ref) throws InterruptedException {
    String id = lookup.resolve(ref).id();
    Vm killed;
    boolean wasRunning;
    try (OrderedLock.Held held = locks.vm(id).lock()) {
      Vm vm = lookup.reload(id, ref);
      requireSettled(vm, "kill");
      wasRunning = vm.state() == VmState.RUNNING;
      if (vm.process().isPresent()) {
        try {
          parts.adopter().adopt(vm.process().get(), parts.apiSocket(vm.id())).kill();
        } catch (FcprocException e) {
          throw VmErrors.asHostError("killing VM " + vm.name(), e);
        }
      }
      killed = transitions.transition(vm.id(), VmState.STOPPED, Optional.empty());
    }
    if (wasRunning) {
      hooks.stopped(killed);
    }
    return killed;
  }

  /**
   * Deletes a VM and everything of it.
   *
   * @throws HearthException precondition_failed for a running VM without {@code force}
   */
  String delete(String ref, boolean force) throws InterruptedException {
    String id = lookup.resolve(ref).id();
    Vm vm;
    try (OrderedLock.Held held = locks.vm(id).lock()) {
      vm = lookup.reload(id, ref);
      requireSettled(vm, "delete");
      if (vm.state() == VmState.RUNNING && !force) {
        throw HearthException.preconditionFailed(
            "VM " + vm.name() + " is running; stop it first or delete it with --force");
      }
      // Said first: a delete a crash interrupts leaves a row that tells the truth.
      vms.update(
          vm.withState(VmState.ERROR)
              .withError(
                  Optional.of(
                      "its delete was interrupted (by a failure or a daemon restart); delete it"
                          + " again")));
      try {
        teardown.removeResources(vm, Optional.empty(), Optional.empty());
        parts.stageBarrier().reached("delete");
        teardown.releaseReservation(vm);
      } catch (RuntimeException e) {
        throw VmErrors.asHostError("deleting VM " + vm.name(), e);
      }
      locks.forget(id);
      log.info("deleted VM {} ({})", vm.name(), vm.id());
    }
    hooks.deleted(vm);
    return vm.id();
  }

  private static void requireSettled(Vm vm, String action) {
    if (vm.state() == VmState.CREATING) {
      throw HearthException.conflict(
          "VM "
              + vm.name()
              + " is being created; wait for it, or cancel the create with"
              + " `hearth op cancel`, before you "
              + action
              + " it");
    }
    if (vm.state() == VmState.STARTING || vm.state() == VmState.STOPPING) {
      throw HearthException.conflict(
          "VM " + vm.name() + " is " + vm.state().wireName() + "; try again when it has settled");
    }
  }
}
