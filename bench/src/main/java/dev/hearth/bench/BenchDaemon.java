package dev.hearth.bench;

import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.Vm;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Stopping a bench's daemon ({@link StandInHost}'s, {@link GuestBenchHost}'s). */
final class BenchDaemon {
  private BenchDaemon() {}

  /**
   * Force-deletes every VM the daemon has, then stops it: its VMs would outlive it. On a connection
   * of its own, since on a stop the main thread may still be using its client.
   */
  static void stop(Process daemon, Path socket) throws InterruptedException {
    try (Hearth hearth = Hearth.connect(socket)) {
      for (Vm vm : hearth.vms().list()) {
        try {
          hearth.vms().delete(vm.name(), true);
        } catch (RuntimeException e) {
          // One still being created cannot be deleted: the daemon's stop cancels its create, which
          // undoes it. The others are still deleted.
          System.out.println("could not delete the VM " + vm.name() + ": " + e.getMessage());
        }
      }
    } catch (RuntimeException e) {
      // Printed, not thrown: the daemon must still be stopped, and it would hide why the bench
      // ended (e.g. a daemon gone).
      System.out.println("could not delete the bench's VMs through the daemon: " + e.getMessage());
    }
    daemon.destroy();
    if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
      daemon.destroyForcibly();
    }
  }
}
