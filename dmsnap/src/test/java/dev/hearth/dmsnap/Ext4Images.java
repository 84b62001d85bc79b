package dev.hearth.dmsnap;

import dev.hearth.core.Command;
import dev.hearth.core.Runner;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Real ext4 images and facts about them, for host tests. */
final class Ext4Images {
  private Ext4Images() {}

  /** Makes a sparse file of {@code bytes} and an ext4 filesystem filling it. */
  static void make(Runner runner, Path file, long bytes) throws Exception {
    DiskSizes.createSparse(file, bytes);
    runner.check(Command.of("mkfs.ext4", "-q", "-F", "-b", "4096", file.toString()));
  }

  /** The filesystem's size in bytes (block count times block size), from {@code dumpe2fs -h}. */
  static long filesystemBytes(Runner runner, String target) throws Exception {
    String out = runner.check(Command.of("dumpe2fs", "-h", target)).stdout();
    Map<String, String> fields = new HashMap<>();
    for (String line : out.split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        fields.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
      }
    }
    return Long.parseLong(fields.get("Block count")) * Long.parseLong(fields.get("Block size"));
  }

  /** Bytes the file really occupies on disk ({@code stat}'s block count times its block unit). */
  static long allocatedBytes(Runner runner, Path file) throws Exception {
    String[] out =
        runner
            .check(Command.of("stat", "--format=%b %B", file.toString()))
            .stdout()
            .strip()
            .split(" ");
    return Long.parseLong(out[0]) * Long.parseLong(out[1]);
  }
}
