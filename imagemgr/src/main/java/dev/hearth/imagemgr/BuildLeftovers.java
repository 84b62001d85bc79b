package dev.hearth.imagemgr;

import dev.hearth.core.Command;
import dev.hearth.core.CoreException;
import dev.hearth.core.Posix;
import dev.hearth.core.Runner;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a build killed before its script's trap ran can leave under its staging folder: processes
 * chrooted into the tree and mounts (proc, sys, a bind of /dev). {@link #sweep} removes both, so
 * that deleting the staging folder afterwards can never reach into the host's /dev.
 */
public final class BuildLeftovers {
  private static final Logger log = LoggerFactory.getLogger(BuildLeftovers.class);
  private static final Duration UMOUNT_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern OCTAL_ESCAPE = Pattern.compile("\\\\([0-7]{3})");

  private final Path proc;
  private final Runner runner;
  private final Posix posix;

  /**
   * @param proc the procfs root, {@code /proc} on a real host
   */
  public BuildLeftovers(Path proc, Runner runner, Posix posix) {
    this.proc = proc;
    this.runner = runner;
    this.posix = posix;
  }

  /** The mount points at or under {@code folder}, in the order the kernel lists them. */
  public List<Path> mountsUnder(Path folder) {
    Path physical = physical(folder);
    List<Path> found = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(proc.resolve("mounts"))) {
        String[] fields = line.split(" ");
        if (fields.length < 2) {
          continue;
        }
        Path point = Path.of(unescape(fields[1]));
        if (point.startsWith(physical)) {
          found.add(point);
        }
      }
    } catch (IOException e) {
      throw new ImageBuildException("cannot read " + proc.resolve("mounts") + ": " + e, e);
    }
    return found;
  }

  /**
   * Kills the processes whose root is under {@code folder}, then lazily unmounts every mount under
   * it, newest first.
   *
   * @throws ImageBuildException naming the mounts that are still there afterwards
   */
  public void sweep(Path folder) throws InterruptedException {
    Path physical = physical(folder);
    killChrooted(physical);
    List<Path> mounts = mountsUnder(physical);
    Collections.reverse(mounts);
    for (Path point : mounts) {
      log.warn("unmounting {}, left by an image build", point);
      runner.run(
          Command.builder("umount").args("-l", point.toString()).timeout(UMOUNT_TIMEOUT).build());
    }
    List<Path> remaining = mountsUnder(physical);
    if (!remaining.isEmpty()) {
      throw new ImageBuildException(
          "cannot unmount "
              + remaining
              + " under "
              + folder
              + "; unmount them, then remove "
              + folder);
    }
  }

  private void killChrooted(Path physical) {
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, "[0-9]*")) {
      for (Path pidDir : pids) {
        Path root;
        try {
          root = Files.readSymbolicLink(pidDir.resolve("root"));
        } catch (IOException | UnsupportedOperationException e) {
          continue; // gone meanwhile, or not ours to read
        }
        if (root.startsWith(physical)) {
          int pid = Integer.parseInt(pidDir.getFileName().toString());
          log.warn("killing process {} chrooted into {}", pid, root);
          try {
            posix.kill(pid, Posix.Signal.SIGKILL);
          } catch (CoreException e) {
            log.warn("cannot kill process {}: {}", pid, e.getMessage());
          }
        }
      }
    } catch (IOException e) {
      throw new ImageBuildException("cannot list the processes in " + proc + ": " + e, e);
    }
  }

  private static Path physical(Path folder) {
    try {
      return folder.toRealPath();
    } catch (IOException e) {
      return folder.toAbsolutePath().normalize();
    }
  }

  /** /proc/mounts writes space, tab, newline and backslash as three octal digits. */
  private static String unescape(String field) {
    Matcher m = OCTAL_ESCAPE.matcher(field);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(
          sb, Matcher.quoteReplacement(Character.toString((char) Integer.parseInt(m.group(1), 8))));
    }
    m.appendTail(sb);
    return sb.toString();
  }
}
