package dev.hearth.session;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The handle on one guest session: its write lock (one write reaches the FIFO whole before the next
 * starts, whoever sends them) and the last state read from the guest. The write lock is a leaf:
 * nothing else is taken while it is held, and it is held only across the one guest write it guards.
 */
final class SessionController {
  final String vmId;
  final String id;
  final ReentrantLock writeLock = new ReentrantLock();
  private volatile SessionInfo info;

  /**
   * How many calls use this controller now (guarded by the {@link SessionRegistry}'s monitor): the
   * registry keeps it while any does, so that its write lock stays the session's only one.
   */
  int uses;

  SessionController(String vmId, SessionInfo info) {
    this.vmId = vmId;
    this.id = info.id();
    this.info = info;
  }

  SessionInfo info() {
    return info;
  }

  void update(SessionInfo newInfo) {
    info = newInfo;
  }

  /** How messages name it: {@code 'name' (id)} or the id. */
  String label() {
    return info.name().map(n -> "'" + n + "' (" + id + ")").orElse(id);
  }
}
