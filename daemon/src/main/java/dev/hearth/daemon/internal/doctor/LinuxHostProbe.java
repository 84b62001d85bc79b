package dev.hearth.daemon.internal.doctor;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The real {@link HostProbe}: the JDK file API, {@code /proc}, and {@code cp} via a Runner. */
public final class LinuxHostProbe implements HostProbe {
  private static final int SMALL_FILE_LIMIT = 64 * 1024;
  private static final Duration CP_TIMEOUT = Duration.ofSeconds(10);
  private static final Path PROC_NET = Path.of("/proc/net");
  private static final Path OWN_FDS = Path.of("/proc/self/fd");
  private static final Pattern SOCKET_LINK = Pattern.compile("socket:\\[(\\d+)]");

  private final Runner runner;
  private final List<Path> searchPath;

  /**
   * Looks programs up on this process's PATH only, as the daemon runs them (by name, through PATH):
   * a program only in /usr/sbin off PATH would pass here and fail in the daemon.
   */
  public LinuxHostProbe(Runner runner) {
    this(runner, System.getenv("PATH"));
  }

  LinuxHostProbe(Runner runner, String pathVariable) {
    this.runner = runner;
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
  public Optional<Path> findExecutable(String program) {
    for (Path dir : searchPath) {
      Path candidate = dir.resolve(program);
      if (isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  @Override
  public Reflink tryReflink(Path dir) throws IOException, InterruptedException {
    Optional<Path> cp = findExecutable("cp");
    if (cp.isEmpty()) {
      return new Reflink(false, "cp not found, so reflink support could not be tested");
    }
    Path source = Files.createTempFile(dir, ".hearth-doctor-", ".src");
    Path copy = source.resolveSibling(source.getFileName() + ".copy");
    try {
      Files.writeString(source, "hearth doctor reflink probe\n");
      CommandResult result =
          runner.run(
              Command.builder(cp.get().toString())
                  .args("--reflink=always", source.toString(), copy.toString())
                  .timeout(CP_TIMEOUT)
                  .build());
      if (result.ok()) {
        return new Reflink(true, "cp --reflink=always works in " + dir);
      }
      return new Reflink(false, "cp --reflink=always failed in " + dir + ": " + reason(result));
    } finally {
      Files.deleteIfExists(copy);
      Files.deleteIfExists(source);
    }
  }

  /** The end of cp's last stderr line: "Operation not supported" rather than two file names. */
  private static String reason(CommandResult result) {
    String stderr = result.stderr().strip();
    if (stderr.isEmpty()) {
      return "exit code " + result.exitCode();
    }
    String last = stderr.substring(stderr.lastIndexOf('\n') + 1);
    return last.substring(last.lastIndexOf(": ") + 1).strip();
  }

  @Override
  public List<BoundSocket> boundSockets() throws IOException {
    List<BoundSocket> sockets = new ArrayList<>();
    for (String protocol : List.of("udp", "udp6", "tcp", "tcp6")) {
      Path table = PROC_NET.resolve(protocol);
      // Without IPv6 the *6 tables are absent.
      if (Files.exists(table)) {
        sockets.addAll(ProcNet.parse(protocol, Files.readString(table, StandardCharsets.US_ASCII)));
      }
    }
    return sockets;
  }

  @Override
  public Set<Long> ownSocketInodes() throws IOException {
    Set<Long> inodes = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(OWN_FDS)) {
      for (Path fd : fds) {
        String target;
        try {
          target = Files.readSymbolicLink(fd).toString();
        } catch (NoSuchFileException e) {
          // Closed since the listing (the listing's own descriptor, for one).
          continue;
        }
        Matcher m = SOCKET_LINK.matcher(target);
        if (m.matches()) {
          inodes.add(Long.parseLong(m.group(1)));
        }
      }
    }
    return inodes;
  }
}
