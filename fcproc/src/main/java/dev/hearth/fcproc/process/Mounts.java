package dev.hearth.fcproc.process;

import dev.hearth.fcproc.FcprocException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The mounts of this process's mount namespace, read from a {@code mountinfo} file. */
final class Mounts {
  /** One line of mountinfo: where, what filesystem type, and its super options. */
  record Mount(Path point, String type, Set<String> options) {}

  private final Path mountinfo;

  Mounts(Path mountinfo) {
    this.mountinfo = mountinfo;
  }

  static Mounts system() {
    return new Mounts(Path.of("/proc/self/mountinfo"));
  }

  /** Every mount point inside {@code folder} (not the folder itself). */
  List<Path> under(Path folder) {
    Path normal = folder.toAbsolutePath().normalize();
    return all().stream()
        .map(Mount::point)
        .filter(p -> p.startsWith(normal) && !p.equals(normal))
        .toList();
  }

  List<Mount> all() {
    List<String> lines;
    try {
      lines = Files.readAllLines(mountinfo, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new FcprocException("cannot read " + mountinfo + ": " + e, e);
    }
    List<Mount> mounts = new ArrayList<>();
    for (String line : lines) {
      int separator = line.indexOf(" - ");
      if (separator < 0) {
        continue;
      }
      String[] mount = line.substring(0, separator).split(" ");
      String[] source = line.substring(separator + 3).split(" ");
      if (mount.length < 5 || source.length < 3) {
        continue;
      }
      mounts.add(new Mount(Path.of(unescape(mount[4])), source[0], Set.of(source[2].split(","))));
    }
    return mounts;
  }

  /** mountinfo writes space, tab, newline and backslash as a backslash and three octal digits. */
  static String unescape(String field) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && i + 3 < field.length() && isOctal(field.substring(i + 1, i + 4))) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static boolean isOctal(String digits) {
    return digits.chars().allMatch(d -> d >= '0' && d <= '7');
  }
}
