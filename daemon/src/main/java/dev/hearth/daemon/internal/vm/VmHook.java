package dev.hearth.daemon.internal.vm;

/**
 * A capability that follows VMs through their lifecycle, such as the VM DNS or guest sessions.
 * Hooks run after the change is stored, on the thread that made it, with no lock held (they may do
 * guest I/O); a hook that throws is logged and does not undo the change or stop the other hooks.
 */
public interface VmHook {
  /** A name for log lines. */
  String name();

  /** The VM runs: created, started, or found alive and re-adopted when the daemon starts. */
  default void started(Vm vm) throws InterruptedException {}

  /**
   * The VM does not run: stopped, killed, found dead when the daemon starts, or created without
   * starting.
   */
  default void stopped(Vm vm) throws InterruptedException {}

  /** The VM and everything of it are gone. */
  default void deleted(Vm vm) throws InterruptedException {}
}
