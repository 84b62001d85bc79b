package dev.hearth.fcproc.process;

import dev.hearth.fcproc.FcprocException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** {@link ProcessTable} on a procfs mount. */
final class ProcfsProcessTable implements ProcessTable {
  private final Path proc;

  ProcfsProcessTable(Path proc) {
    this.proc = proc;
  }

  @Override
  public Optional<ProcessStat> stat(int pid) {
    if (pid <= 0) {
      return Optional.empty();
    }
    Path file = proc.resolve(Integer.toString(pid)).resolve("stat");
    try {
      return Optional.of(ProcessStat.parse(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      // The process may vanish between open and read (ESRCH shows up as an IOException).
      if (!Files.exists(file)) {
        return Optional.empty();
      }
      throw new FcprocException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public List<ProcessStat> liveInSession(int sessionId) {
    List<ProcessStat> members = new ArrayList<>();
    for (int pid : pids()) {
      stat(pid).filter(s -> s.sessionId() == sessionId && !s.exited()).ifPresent(members::add);
    }
    return members;
  }

  @Override
  public List<Integer> pids() {
    List<Integer> pids = new ArrayList<>();
    try (Stream<Path> entries = Files.list(proc)) {
      for (Path entry : (Iterable<Path>) entries::iterator) {
        String name = entry.getFileName().toString();
        if (!name.isEmpty() && name.length() < 11 && name.chars().allMatch(Character::isDigit)) {
          pids.add(Integer.parseInt(name));
        }
      }
    } catch (IOException e) {
      throw new FcprocException("cannot list " + proc + ": " + e.getMessage(), e);
    }
    return pids;
  }

  @Override
  public List<String> commandLine(int pid) {
    Path file = proc.resolve(Integer.toString(pid)).resolve("cmdline");
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      return List.of(); // gone meanwhile, or not ours to read
    }
    List<String> argv = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == 0) {
        argv.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    if (start < bytes.length) {
      argv.add(new String(bytes, start, bytes.length - start, StandardCharsets.UTF_8));
    }
    return argv;
  }
}
