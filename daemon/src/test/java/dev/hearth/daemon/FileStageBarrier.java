package dev.hearth.daemon;

import dev.hearth.daemon.internal.vm.StageBarrier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A stage barrier another process can set (the daemon runs in a child JVM so that a test can
 * SIGKILL it): while the file {@code hold} names a point, the daemon reaching that point writes the
 * point into {@code heldAt} and waits there to be killed; if it is still alive after {@code max},
 * the stage fails saying so.
 */
final class FileStageBarrier implements StageBarrier {
  private final Path hold;
  private final Path heldAt;
  private final Duration max;

  FileStageBarrier(Path hold, Path heldAt, Duration max) {
    this.hold = hold;
    this.heldAt = heldAt;
    this.max = max;
  }

  @Override
  public void reached(String point) throws InterruptedException {
    try {
      if (!Files.exists(hold) || !Files.readString(hold).strip().equals(point)) {
        return;
      }
      Files.writeString(heldAt, point);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread.sleep(max.toMillis());
    throw new IllegalStateException("held at stage " + point + " for " + max + " and not killed");
  }
}
