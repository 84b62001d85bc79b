package dev.hearth.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** The real {@link HostProbe}: the JDK file API on this host. */
public final class LinuxHostProbe implements HostProbe {
  private static final int SMALL_FILE_LIMIT = 64 * 1024;

  private final List<Path> searchPath;

  /**
   * Looks programs up on this process's PATH only, as hearth runs them (by name, through PATH): a
   * program only in /usr/sbin off PATH would pass here and fail when run.
   */
  public static LinuxHostProbe system() {
    return new LinuxHostProbe(System.getenv("PATH"));
  }

  /**
   * @param pathVariable a PATH value ({@code dir:dir}); null or empty finds nothing
   */
  public LinuxHostProbe(String pathVariable) {
    List<Path> dirs = new ArrayList<>();
    if (pathVariable != null) {
      for (String dir : pathVariable.split(":")) {
        if (!dir.isEmpty()) {
          dirs.add(Path.of(dir));
        }
      }
    }
    this.searchPath = List.copyOf(dirs);
  }

  @Override
  public boolean exists(Path path) {
    return Files.exists(path);
  }

  @Override
  public Optional<FileStatus> stat(Path path) throws IOException {
    Map<String, Object> attrs;
    try {
      attrs = Files.readAttributes(path, "unix:mode,uid,isDirectory");
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    return Optional.of(
        new FileStatus(
            (Boolean) attrs.get("isDirectory"),
            (Integer) attrs.get("mode") & 07777,
            (Integer) attrs.get("uid")));
  }

  @Override
  public boolean canReadAndWrite(Path path) {
    return Files.isReadable(path) && Files.isWritable(path);
  }

  @Override
  public boolean isExecutable(Path path) {
    return Files.isRegularFile(path) && Files.isExecutable(path);
  }

  @Override
  public String readSmallText(Path path) throws IOException {
    // /proc files report a size of 0, so read up to a limit rather than by size.
    try (InputStream in = Files.newInputStream(path)) {
      return new String(in.readNBytes(SMALL_FILE_LIMIT), StandardCharsets.UTF_8);
    }
  }

  @Override
  public long usableSpace(Path dir) throws IOException {
    return Files.getFileStore(dir).getUsableSpace();
  }

  @Override
  public List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.sorted().toList();
    }
  }

  @Override
  public long treeBytes(Path path) throws IOException {
    try (Stream<Path> all = Files.walk(path)) {
      long total = 0;
      for (Path p : (Iterable<Path>) all::iterator) {
        BasicFileAttributes a =
            Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        total += a.isRegularFile() ? a.size() : 0;
      }
      return total;
    }
  }

  @Override
  public long totalSpace(Path dir) throws IOException {
    return Files.getFileStore(dir).getTotalSpace();
  }

  @Override
  public Optional<Path> findExecutable(String program) {
    for (Path dir : searchPath) {
      Path candidate = dir.resolve(program);
      if (isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
