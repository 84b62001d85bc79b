package dev.hearth.e2e;

import dev.hearth.core.testing.Await;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Keeps a copy of every VM's serial console log as it is written. The daemon removes a VM's folder,
 * console log included, when a create fails, which is when the log matters most; so each {@code
 * vms/<id>/console.log} is opened as soon as it appears and read through that open file (which
 * stays readable after the daemon deletes or rotates the name) into {@code <keep>/<id>.log}. {@link
 * #drain()} runs every 200 ms on a daemon thread and once more before a report.
 */
final class ConsoleKeeper implements AutoCloseable {
  private static final String CONSOLE_LOG = "console.log";

  private final Path vmsDir;
  private final Path keepDir;
  private final Map<Object, Followed> followed = new HashMap<>();
  private final Thread thread;
  private volatile boolean closed;

  private record Followed(Path source, FileChannel channel, OutputStream copy) {}

  ConsoleKeeper(Path vmsDir, Path keepDir) throws IOException {
    this.vmsDir = vmsDir;
    this.keepDir = Files.createDirectories(keepDir);
    this.thread = new Thread(this::run, "console-keeper");
    thread.setDaemon(true);
    thread.start();
  }

  /** The kept copies by VM id, for a report. */
  synchronized Map<String, Path> copies() {
    drain();
    Map<String, Path> copies = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(keepDir)) {
      files.sorted().forEach(f -> copies.put("console-" + f.getFileName(), f));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return copies;
  }

  /** Opens console logs that appeared and copies what every followed log gained. */
  synchronized void drain() {
    for (Path log : consoleLogs()) {
      try {
        Object key = Files.readAttributes(log, BasicFileAttributes.class).fileKey();
        if (!followed.containsKey(key)) {
          String id = log.getParent().getFileName().toString();
          followed.put(
              key,
              new Followed(
                  log,
                  FileChannel.open(log, StandardOpenOption.READ),
                  Files.newOutputStream(
                      keepDir.resolve(id + ".log"),
                      StandardOpenOption.CREATE,
                      StandardOpenOption.APPEND)));
        }
      } catch (IOException e) {
        // Removed between listing and opening: nothing more to keep of it.
      }
    }
    List<Object> finished = new ArrayList<>();
    ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    for (Map.Entry<Object, Followed> entry : followed.entrySet()) {
      Followed f = entry.getValue();
      try {
        int n;
        while ((n = f.channel.read(buffer)) > 0) {
          f.copy.write(buffer.array(), 0, n);
          buffer.clear();
        }
        f.copy.flush();
        if (!Files.exists(f.source)) {
          // Read to its end after its folder went: the VM that wrote it is gone.
          finished.add(entry.getKey());
        }
      } catch (IOException e) {
        finished.add(entry.getKey());
      }
    }
    finished.forEach(key -> closeQuietly(followed.remove(key)));
  }

  private List<Path> consoleLogs() {
    if (!Files.isDirectory(vmsDir)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(vmsDir)) {
      return dirs.map(d -> d.resolve(CONSOLE_LOG)).filter(Files::isRegularFile).toList();
    } catch (IOException e) {
      return List.of(); // the folder changed while listed; the next round sees it
    }
  }

  private void run() {
    while (!closed) {
      drain();
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return; // nobody interrupts it; close() ends the loop through the flag
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    // No interrupt: it would close a FileChannel in the middle of a read.
    closed = true;
    Await.join(thread, "the console keeper's last round");
    synchronized (this) {
      drain();
      followed.values().forEach(ConsoleKeeper::closeQuietly);
      followed.clear();
    }
  }

  private static void closeQuietly(Followed f) {
    try (FileChannel channel = f.channel;
        OutputStream copy = f.copy) {
      // closed by try-with-resources
    } catch (IOException e) {
      // a copy that cannot be closed has been flushed already
    }
  }
}
