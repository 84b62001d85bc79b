package dev.hearth.daemon.internal.vm;

/**
 * A named point in a create stage, a lifecycle change or an image operation where a test can hold
 * the daemon (to SIGKILL it there, ARCHITECTURE.md, "Crash consistency"). Points are {@code
 * <operation>.<stage>}, such as {@code create.rootfs} or {@code image.register}; each is reached
 * after the stage's work is on the host and before the row says so ({@code create.boot.spawned} and
 * {@code start.boot.spawned}: the VMM runs, no row names it yet). The daemon's own is {@link
 * #NONE}.
 */
@FunctionalInterface
public interface StageBarrier {
  StageBarrier NONE = point -> {};

  /** Called when the daemon reaches {@code point}; a test's barrier may block here. */
  void reached(String point) throws InterruptedException;
}
