package dev.hearth.daemon.internal.imagebuild;

import java.util.concurrent.Callable;

/**
 * Runs an image registry mutation under the daemon's {@code imageOpsLock} (ARCHITECTURE.md, "Daemon
 * composition and locks"), so that builds, registrations, promotions and deletions of images never
 * interleave. The build holds it only to claim a name and to publish, never while the build script
 * runs.
 */
@FunctionalInterface
public interface ImageOpsGuard {
  /** Runs {@code work} holding the lock and returns its result; its exceptions propagate. */
  <T> T run(Callable<T> work) throws Exception;
}
