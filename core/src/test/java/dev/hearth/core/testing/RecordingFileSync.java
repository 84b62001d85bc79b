package dev.hearth.core.testing;

import dev.hearth.core.FileSync;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A {@link FileSync} that syncs nothing and writes each call to a journal, {@code "fsync file
 * <path>"} or {@code "fsync dir <path>"}, so that a test can check what was synced and in which
 * order. A path that does not exist fails as the real fsync would (it must have been made before it
 * is synced). {@link #holdAt} stops a process at one sync, for crash tests that SIGKILL it there.
 */
public final class RecordingFileSync implements FileSync {
  /** Runs before a sync is recorded: a test can hold or fail the create there. */
  @FunctionalInterface
  public interface BeforeSync {
    void run(Path path) throws IOException;
  }

  private final List<String> journal;
  private volatile BeforeSync before = p -> {};

  /** A fake with a journal of its own. */
  public RecordingFileSync() {
    this(Collections.synchronizedList(new ArrayList<>()));
  }

  /** A fake writing to a journal shared with others (a synchronised list). */
  public RecordingFileSync(List<String> journal) {
    this.journal = journal;
  }

  /**
   * A hook for a process that a test will SIGKILL: at the first sync of a path named {@code
   * fileName} it creates {@code marker} (so the test knows where it stands) and waits to be killed;
   * if it is still alive after {@code max}, the sync fails saying so.
   */
  public static BeforeSync holdAt(String fileName, Path marker, Duration max) {
    return path -> {
      if (!path.getFileName().toString().equals(fileName) || Files.exists(marker)) {
        return;
      }
      Files.writeString(marker, path.toString());
      try {
        Thread.sleep(max.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while held at the sync of " + path);
      }
      throw new IOException("held at the sync of " + path + " for " + max + " and not killed");
    };
  }

  public RecordingFileSync before(BeforeSync hook) {
    this.before = hook;
    return this;
  }

  /** A copy of the journal so far. */
  public List<String> journal() {
    synchronized (journal) {
      return List.copyOf(journal);
    }
  }

  @Override
  public void file(Path file) throws IOException {
    record("fsync file ", file);
  }

  @Override
  public void directory(Path dir) throws IOException {
    record("fsync dir ", dir);
  }

  private void record(String what, Path path) throws IOException {
    before.run(path);
    if (!Files.exists(path)) {
      throw new IOException("cannot sync " + path + ": no such file");
    }
    journal.add(what + path.toAbsolutePath().normalize());
  }
}
