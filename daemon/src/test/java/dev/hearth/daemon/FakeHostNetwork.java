package dev.hearth.daemon;

import dev.hearth.fcproc.net.HostNetwork;
import dev.hearth.fcproc.net.TapGuest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * A host network kept as files in a folder (one empty file per TAP), so that a daemon in another
 * JVM and the test see the same devices, and they survive a SIGKILLed daemon as real ones would.
 */
final class FakeHostNetwork implements HostNetwork {
  static final String PREFIX = "ftap";

  private final Path dir;
  private final List<String> attached = new CopyOnWriteArrayList<>();
  private final Map<String, TapGuest> guards = new ConcurrentHashMap<>();
  private final Map<String, Long> limits = new ConcurrentHashMap<>();
  private volatile boolean failTapCreation;

  FakeHostNetwork(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir.resolve("taps"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void failTapCreation(boolean fail) {
    failTapCreation = fail;
  }

  boolean bridgeEnsured() {
    return Files.exists(dir.resolve("bridge"));
  }

  @Override
  public void ensure() {
    try {
      Files.writeString(dir.resolve("bridge"), "up\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String tapName(int index) {
    return PREFIX + index;
  }

  @Override
  public void createTap(String tap) {
    if (failTapCreation) {
      throw new DaemonException("could not create TAP " + tap + ": injected failure");
    }
    try {
      Files.createFile(dir.resolve("taps").resolve(tap));
    } catch (IOException e) {
      throw new DaemonException("could not create TAP " + tap + ": " + e, e);
    }
  }

  /** Every existing TAP put on the bridge by {@link #attachTap}, in order. */
  List<String> attached() {
    return List.copyOf(attached);
  }

  @Override
  public void attachTap(String tap) {
    if (!Files.exists(dir.resolve("taps").resolve(tap))) {
      throw new DaemonException("could not attach TAP " + tap + ": it does not exist");
    }
    attached.add(tap);
  }

  @Override
  public void ownTap(String tap, int uid) {
    attachTap(tap);
  }

  /** The guard of each guarded TAP. */
  Map<String, TapGuest> guards() {
    return Map.copyOf(guards);
  }

  @Override
  public void guardTap(String tap, TapGuest guest) {
    guards.put(tap, guest);
  }

  /** Each limited TAP's bytes per second. */
  Map<String, Long> limits() {
    return Map.copyOf(limits);
  }

  @Override
  public void limitTap(String tap, long bytesPerSecond) {
    if (bytesPerSecond == 0) {
      limits.remove(tap);
    } else {
      limits.put(tap, bytesPerSecond);
    }
  }

  @Override
  public void unguardTap(String tap) {
    limits.remove(tap);
    guards.remove(tap);
  }

  @Override
  public void deleteTap(String tap) {
    limits.remove(tap);
    guards.remove(tap);
    try {
      Files.deleteIfExists(dir.resolve("taps").resolve(tap));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public List<String> listTaps() {
    try (Stream<Path> files = Files.list(dir.resolve("taps"))) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
