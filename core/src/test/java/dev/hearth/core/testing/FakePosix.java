package dev.hearth.core.testing;

import dev.hearth.core.FileExtents;
import dev.hearth.core.Posix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;

/** A {@link Posix} with settable ids and groups that records the signals it is asked to send. */
public final class FakePosix implements Posix {
  public record SentSignal(int pid, Signal signal) {}

  private Optional<Function<Path, FileExtents>> extents = Optional.empty();

  private int uid;
  private int gid;
  private int pid = 4242;
  private final Map<String, Integer> groups = new HashMap<>();
  private final Map<String, User> users = new HashMap<>();
  private final Set<Integer> livePids = new HashSet<>();
  private final List<SentSignal> signals = new ArrayList<>();
  private final Map<Path, Integer> chgrps = new HashMap<>();

  public FakePosix(int uid, int gid) {
    this.uid = uid;
    this.gid = gid;
  }

  public synchronized FakePosix group(String name, int id) {
    groups.put(name, id);
    return this;
  }

  public synchronized FakePosix user(String name, int userId, int groupId) {
    users.put(name, new User(userId, groupId));
    return this;
  }

  @Override
  public synchronized Optional<User> user(String name) {
    return Optional.ofNullable(users.get(name));
  }

  public synchronized FakePosix livePid(int livePid) {
    livePids.add(livePid);
    return this;
  }

  public synchronized List<SentSignal> signals() {
    return List.copyOf(signals);
  }

  public synchronized Map<Path, Integer> chgrps() {
    return Map.copyOf(chgrps);
  }

  @Override
  public synchronized int getuid() {
    return uid;
  }

  @Override
  public synchronized int geteuid() {
    return uid;
  }

  @Override
  public synchronized int getgid() {
    return gid;
  }

  @Override
  public synchronized int getpid() {
    return pid;
  }

  @Override
  public synchronized boolean kill(int target, Signal signal) {
    signals.add(new SentSignal(target, signal));
    boolean alive = livePids.contains(Math.abs(target));
    if (alive && signal == Signal.SIGKILL) {
      livePids.remove(Math.abs(target));
    }
    return alive;
  }

  @Override
  public synchronized OptionalInt groupId(String name) {
    Integer id = groups.get(name);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  @Override
  public synchronized void chgrp(Path path, int newGid) {
    chgrps.put(path, newGid);
  }

  /** Answers {@link #openExtents} with these extents instead of "the whole file is data". */
  public void setExtents(Function<Path, FileExtents> extents) {
    this.extents = Optional.of(extents);
  }

  /** The whole file is data, as on a filesystem that does not track holes, unless set. */
  @Override
  public FileExtents openExtents(Path file) throws IOException {
    if (extents.isPresent()) {
      return extents.get().apply(file);
    }
    long size = Files.size(file);
    return new FileExtents() {
      @Override
      public long nextData(long offset) {
        return offset < size ? offset : -1;
      }

      @Override
      public long nextHole(long offset) {
        return size;
      }

      @Override
      public void close() {}
    };
  }
}
