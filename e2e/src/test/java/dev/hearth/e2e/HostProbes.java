package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What the hostile-guest steps measure on the host: memory, logs, console logs, trees. */
final class HostProbes {
  private HostProbes() {}

  /** What was written to {@code file} after its first {@code offset} bytes. */
  static String textSince(Path file, long offset) throws IOException {
    byte[] all = Files.readAllBytes(file);
    int from = (int) Math.min(offset, all.length);
    return new String(all, from, all.length - from, StandardCharsets.UTF_8);
  }

  static long rssKib(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.substring("VmRSS:".length()).replace("kB", "").strip());
      }
    }
    throw new AssertionError("no VmRSS in /proc/" + pid + "/status");
  }

  /** The console log and the part rotated out before it. */
  static List<Path> consoleFiles(Path console) {
    return List.of(console.resolveSibling(console.getFileName() + ".1"), console);
  }

  static long consoleBytes(Path console, char c) throws IOException {
    long n = 0;
    for (Path file : consoleFiles(console)) {
      if (Files.exists(file)) {
        for (byte b : Files.readAllBytes(file)) {
          if (b == c) {
            n++;
          }
        }
      }
    }
    return n;
  }

  static int longestConsoleLine(Path console) throws IOException {
    int longest = 0;
    for (Path file : consoleFiles(console)) {
      if (!Files.exists(file)) {
        continue;
      }
      int run = 0;
      for (byte b : Files.readAllBytes(file)) {
        run = b == '\n' ? 0 : run + 1;
        longest = Math.max(longest, run);
      }
    }
    return longest;
  }

  /** The console capper's shells: the processes named sh whose argv names the console log. */
  static List<ProcessHandle> cappers(Path console) throws IOException {
    List<ProcessHandle> found = new ArrayList<>();
    for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
      Path cmdline = Path.of("/proc/" + p.pid() + "/cmdline");
      Path comm = Path.of("/proc/" + p.pid() + "/comm");
      try {
        String argv = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8);
        if (argv.contains(console.toString()) && Files.readString(comm).strip().equals("sh")) {
          found.add(p);
        }
      } catch (IOException gone) {
        // the process ended meanwhile
      }
    }
    assertThat(found).as("the console capper's shells for " + console).isNotEmpty();
    return found;
  }

  /** Every path under {@code top} but those under {@code except}, folders marked with a '/'. */
  static List<String> listing(Path top, Path except) throws IOException {
    try (Stream<Path> paths = Files.walk(top)) {
      return paths
          .filter(p -> except == null || !p.startsWith(except) || p.equals(except))
          .sorted()
          .map(
              p ->
                  top.getParent().relativize(p)
                      + (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "/" : ""))
          .toList();
    }
  }
}
