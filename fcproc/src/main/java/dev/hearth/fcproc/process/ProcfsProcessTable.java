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
    try (Stream<Path> entries = Files.list(proc)) {
      for (Path entry : (Iterable<Path>) entries::iterator) {
        String name = entry.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        stat(Integer.parseInt(name))
            .filter(s -> s.sessionId() == sessionId && !s.exited())
            .ifPresent(members::add);
      }
    } catch (IOException e) {
      throw new FcprocException("cannot list " + proc + ": " + e.getMessage(), e);
    }
    return members;
  }
}
