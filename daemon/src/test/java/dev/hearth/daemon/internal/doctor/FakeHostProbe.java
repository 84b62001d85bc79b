package dev.hearth.daemon.internal.doctor;

import dev.hearth.core.HostProbe;
import dev.hearth.dmsnap.ReflinkProbe;
import dev.hearth.fcproc.net.HostSockets;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The doctor's probes ({@link HostProbe}, {@link HostSockets}, {@link ReflinkProbe}) over an
 * imaginary host: files, programs, /proc texts and sockets exist only when a test adds them. Paths
 * can be made to throw, to test that a broken probe fails one check.
 */
final class FakeHostProbe implements HostProbe, HostSockets, ReflinkProbe {
  private final Map<Path, FileStatus> files = new HashMap<>();
  private final Set<Path> readWrite = new HashSet<>();
  private final Set<Path> executables = new HashSet<>();
  private final Map<String, Path> onPath = new HashMap<>();
  private final Map<Path, String> texts = new HashMap<>();
  private final Map<Path, Long> space = new HashMap<>();
  private final List<Path> reflinkDirs = new ArrayList<>();
  private final Set<Path> broken = new HashSet<>();
  private final Map<Path, Long> trees = new TreeMap<>();
  private Reflink reflink = new Reflink(true, "cp --reflink=always works");
  private IOException reflinkError;
  private List<BoundSocket> sockets = List.of();
  private Set<Long> ownInodes = Set.of();

  FakeHostProbe file(String path, int mode, int ownerUid) {
    files.put(Path.of(path), new FileStatus(false, mode, ownerUid));
    return this;
  }

  FakeHostProbe dir(String path, int mode, int ownerUid) {
    files.put(Path.of(path), new FileStatus(true, mode, ownerUid));
    return this;
  }

  FakeHostProbe remove(String path) {
    files.remove(Path.of(path));
    return this;
  }

  FakeHostProbe readWrite(String path, boolean allowed) {
    if (allowed) {
      readWrite.add(Path.of(path));
    } else {
      readWrite.remove(Path.of(path));
    }
    return this;
  }

  /** Makes a program findable on PATH (and executable at that path); null removes it. */
  FakeHostProbe onPath(String program, String path) {
    if (path == null) {
      Path old = onPath.remove(program);
      if (old != null) {
        executables.remove(old);
      }
    } else {
      onPath.put(program, Path.of(path));
      executables.add(Path.of(path));
    }
    return this;
  }

  FakeHostProbe executable(String path) {
    executables.add(Path.of(path));
    return this;
  }

  FakeHostProbe text(String path, String content) {
    texts.put(Path.of(path), content);
    return this;
  }

  FakeHostProbe space(String dir, long bytes) {
    space.put(Path.of(dir), bytes);
    return this;
  }

  FakeHostProbe reflink(Reflink result) {
    this.reflink = result;
    return this;
  }

  FakeHostProbe reflinkError(IOException error) {
    this.reflinkError = error;
    return this;
  }

  FakeHostProbe sockets(BoundSocket... bound) {
    this.sockets = List.of(bound);
    return this;
  }

  FakeHostProbe ownInodes(Long... inodes) {
    this.ownInodes = Set.of(inodes);
    return this;
  }

  /** A file or folder of {@code bytes} in total, listed in its parent folder. */
  FakeHostProbe tree(String path, long bytes) {
    trees.put(Path.of(path), bytes);
    return this;
  }

  /** Makes every question about this path throw, as a probe hitting an odd host would. */
  FakeHostProbe broken(String path) {
    broken.add(Path.of(path));
    return this;
  }

  /** The folders where a reflink copy was tried, in order. */
  List<Path> reflinkDirs() {
    return List.copyOf(reflinkDirs);
  }

  private void checkBroken(Path path) {
    if (broken.contains(path)) {
      throw new IllegalStateException("probe broke on " + path);
    }
  }

  @Override
  public boolean exists(Path path) {
    checkBroken(path);
    return path.getParent() == null || files.containsKey(path);
  }

  @Override
  public Optional<FileStatus> stat(Path path) {
    checkBroken(path);
    return Optional.ofNullable(files.get(path));
  }

  @Override
  public boolean canReadAndWrite(Path path) {
    checkBroken(path);
    return readWrite.contains(path);
  }

  @Override
  public boolean isExecutable(Path path) {
    checkBroken(path);
    return executables.contains(path);
  }

  @Override
  public String readSmallText(Path path) throws IOException {
    checkBroken(path);
    String text = texts.get(path);
    if (text == null) {
      throw new NoSuchFileException(path.toString());
    }
    return text;
  }

  @Override
  public long usableSpace(Path dir) throws IOException {
    checkBroken(dir);
    Long bytes = space.get(dir);
    if (bytes == null) {
      throw new NoSuchFileException(dir.toString());
    }
    return bytes;
  }

  @Override
  public List<Path> list(Path dir) {
    checkBroken(dir);
    return trees.keySet().stream().filter(p -> dir.equals(p.getParent())).toList();
  }

  @Override
  public long treeBytes(Path path) throws IOException {
    checkBroken(path);
    Long bytes = trees.get(path);
    if (bytes == null) {
      throw new NoSuchFileException(path.toString());
    }
    return bytes;
  }

  @Override
  public long totalSpace(Path dir) throws IOException {
    checkBroken(dir);
    Long bytes = space.get(dir);
    if (bytes == null) {
      throw new NoSuchFileException(dir.toString());
    }
    return bytes;
  }

  @Override
  public Optional<Path> findExecutable(String program) {
    return Optional.ofNullable(onPath.get(program));
  }

  @Override
  public Reflink tryReflink(Path dir) throws IOException {
    checkBroken(dir);
    reflinkDirs.add(dir);
    if (reflinkError != null) {
      throw reflinkError;
    }
    return reflink;
  }

  @Override
  public List<BoundSocket> boundSockets() {
    return sockets;
  }

  @Override
  public Set<Long> ownSocketInodes() {
    return ownInodes;
  }
}
